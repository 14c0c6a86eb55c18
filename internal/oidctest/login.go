package oidctest

import (
	"context"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The provider's own sign-in page: op sends the browser to
// loginPath?authRequestID=ID; a correct email and password send it on to
// op's callback, which redirects to the client with code and state.
const (
	loginPath        = "/login"
	authRequestParam = "authRequestID"
)

// loginTemplate is a plain form that works without JavaScript; the
// data-testid attributes are for browser tests.
var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – test identity provider</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>Sign in to the test identity provider</h1>
{{if .Error}}<p role="alert" data-testid="idp-error">{{.Error}}</p>{{end}}
<form method="post" action="` + loginPath + `" data-testid="idp-login">
<input type="hidden" name="` + authRequestParam + `" value="{{.ID}}">
<label>Email <input type="email" name="email" value="{{.Email}}" autocomplete="username" required data-testid="idp-email"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required data-testid="idp-password"></label>
<button type="submit" data-testid="idp-submit">Sign in</button>
</form>
</main></body></html>
`))

type loginPage struct {
	st       *storage
	callback func(context.Context, string) string
}

func (l *loginPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot parse the form", http.StatusBadRequest)
		return
	}
	id := r.FormValue(authRequestParam)
	switch r.Method {
	case http.MethodGet:
		render(w, http.StatusOK, id, "", "")
	case http.MethodPost:
		email := r.PostFormValue("email")
		if refused := l.st.checkPassword(id, email, r.PostFormValue("password")); refused != "" {
			render(w, http.StatusUnauthorized, id, email, refused)
			return
		}
		http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func render(w http.ResponseWriter, status int, id, email, refused string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, struct{ ID, Email, Error string }{id, email, refused})
}

// Login acts as the person's browser at the provider: it GETs authURL (the
// authorize URL the application redirected to), submits the sign-in form
// with email and password, follows the provider's own redirects, and
// returns the URL the provider finally redirects to (the application's
// callback with code and state, or with error when the provider answers
// the authorize request with one) without requesting it. client must trust
// the provider's certificate (HTTPClient does) and may have a cookie jar.
// It fails the test with the page's text when the provider refuses.
func (p *Provider) Login(t testing.TB, client *http.Client, authURL, email, password string) (callback string) {
	t.Helper()
	c := *client
	host := p.srv.Listener.Addr().String()
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse // leaving the provider: the caller follows
		}
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatalf("oidctest: authorize: %v", err)
	}
	page := readText(resp)
	if loc, ok := offProvider(resp, host); ok {
		return loc
	}
	id := resp.Request.URL.Query().Get(authRequestParam)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != loginPath || id == "" {
		t.Fatalf("oidctest: authorize %s: %s at %s, not the sign-in page: %s", authURL, resp.Status, resp.Request.URL, page)
	}
	resp, err = c.PostForm(p.srv.URL+loginPath, url.Values{
		authRequestParam: {id},
		"email":          {email},
		"password":       {password},
	})
	if err != nil {
		t.Fatalf("oidctest: sign in: %v", err)
	}
	page = readText(resp)
	if loc, ok := offProvider(resp, host); ok {
		return loc
	}
	t.Fatalf("oidctest: sign in as %s refused: %s: %s", email, resp.Status, page)
	return ""
}

// offProvider reports the absolute Location of a redirect away from the
// provider.
func offProvider(resp *http.Response, host string) (string, bool) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return "", false
	}
	loc, err := resp.Location()
	if err != nil || loc.Host == host {
		return "", false
	}
	return loc.String(), true
}

var tags = regexp.MustCompile(`(?s)<[^>]*>`)

// readText reads and closes the body and returns its text without markup.
func readText(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return strings.Join(strings.Fields(tags.ReplaceAllString(string(b), " ")), " ")
}
