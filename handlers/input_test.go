package handlers_test

import (
	"bytes"
	"crypto/rand"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Text PostgreSQL refuses (a NUL character, invalid UTF-8) is refused at
// the edge with 400 or 422 naming the field: never a 500. Every form, JSON
// body, query and path parameter that takes text is tried.
func TestNULAndInvalidUTF8AreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	harbor := p.partnerID(t, "harbor-logistics")
	team := p.teamID(t, harbor)
	sessions := map[string]*browser{"": p.browser(t)}
	for _, who := range []string{"admin@portico.test", "am@portico.test", "admin@harbor.test", "dev@harbor.test"} {
		sessions[who] = signedInAs(t, p, who)
	}
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	const nul, bad = "a\x00b", "a\xffb"
	type tc struct {
		who, method, path string
		form              url.Values // a URL-encoded form
		json              string     // or a JSON body
		field             string     // named in the message
	}
	cases := []tc{
		// Portal forms.
		{"admin@harbor.test", "POST", "/teams", form("name", nul), "", "name"},
		{"admin@harbor.test", "POST", "/teams", form("name", bad), "", "name"},
		{"admin@harbor.test", "POST", "/teams/" + team + "/rename", form("name", nul), "", "name"},
		{"admin@harbor.test", "POST", "/members/invitations", form("email", "x\x00@harbor.test", "role", "developer"), "", "email"},
		{"admin@harbor.test", "POST", "/teams/" + team + "/members", form("user_id", nul), "", "user_id"},
		{"dev@harbor.test", "POST", "/account/name", form("name", nul), "", "name"},
		{"dev@harbor.test", "POST", "/account/email", form("email", "d\x00@harbor.test", "password", "x"), "", "email"},
		{"dev@harbor.test", "POST", "/tokens", form("name", nul, "environment", "sandbox", "days", "30"), "", "name"},
		{"am@portico.test", "POST", "/partners", form("name", nul, "admin_email", "a@new.test"), "", "name"},
		{"am@portico.test", "POST", "/access-groups", form("name", nul, "rate_limit_per_minute", "60"), "", "name"},
		{"am@portico.test", "POST", "/access-groups", form("name", "ok", "description", bad, "rate_limit_per_minute", "60"), "", "description"},
		{"admin@portico.test", "POST", "/staff", form("name", nul, "email", "s@portico.test", "role", "account_manager"), "", "name"},
		{"", "POST", "/sign-in", form("email", "dev\x00@harbor.test", "password", "x"), "", "email"},
		// Longer than any address, and random (so PostgreSQL cannot
		// compress it): it once overflowed the throttle's key index.
		{"", "POST", "/sign-in", form("email", randomText(150)+"@harbor.test", "password", "x"), "", "email"},
		{"", "POST", "/forgot-password", form("email", "dev\x00@harbor.test"), "", "email"},
		{"", "POST", "/invitations/" + "ptc_inv_x", form("name", nul, "password", "x"), "", "name"},
		// Queries and path parameters.
		{"am@portico.test", "GET", "/partners?q=%FF", nil, "", "q"},
		{"am@portico.test", "GET", "/partners?q=%00", nil, "", "q"},
		{"am@portico.test", "GET", "/partners?status=%00", nil, "", "status"},
		{"dev@harbor.test", "GET", "/tokens?q=%FF", nil, "", "q"},
		{"dev@harbor.test", "GET", "/apis/%00", nil, "", "slug"},
		{"dev@harbor.test", "GET", "/apis/fleet%FF", nil, "", "slug"},
		{"am@portico.test", "GET", "/catalog/%00/revisions", nil, "", "slug"},
		{"", "GET", "/invitations/%00", nil, "", "token"},
		{"", "GET", "/reset-password/%FF", nil, "", "token"},
		{"", "GET", "/nowhere/%00", nil, "", "path"},
		{"", "GET", "/sign-in?next=%00", nil, "", "next"},
		// The management API: JSON bodies, queries, path parameters.
		{"admin@harbor.test", "POST", "/api/v1/teams", nil, `{"name":"a\u0000b"}`, "name"},
		{"admin@harbor.test", "PATCH", "/api/v1/teams/" + team, nil, `{"name":"a\u0000b"}`, "name"},
		{"admin@harbor.test", "POST", "/api/v1/invitations", nil, `{"email":"x\u0000@harbor.test","role":"developer"}`, "email"},
		{"admin@harbor.test", "POST", "/api/v1/invitations", nil, `{"email":"x@harbor.test","role":"dev\u0000"}`, "role"},
		{"admin@harbor.test", "GET", "/api/v1/members?cursor=%FF", nil, "", "cursor"},
		{"dev@harbor.test", "GET", "/api/v1/apis/%00", nil, "", "slug"},
		{"dev@harbor.test", "POST", "/api/v1/tokens", nil, `{"name":"a\u0000b","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"]}`, "name"},
		{"dev@harbor.test", "POST", "/api/v1/tokens", nil, `{"name":"ok","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read\u0000"]}`, "scopes[0]"},
		{"am@portico.test", "POST", "/api/v1/access-groups", nil, `{"name":"a\u0000b","rate_limit_per_minute":60}`, "name"},
		{"am@portico.test", "POST", "/api/v1/apis?slug=gate&name=%00", nil, "", "name"},
	}
	// Every form again as multipart/form-data, which browsers send for
	// forms with enctype="multipart/form-data" and scripts may send anywhere.
	type run struct {
		tc
		multipart bool // the form as multipart/form-data
	}
	var runs []run
	for _, c := range cases {
		runs = append(runs, run{tc: c})
		if c.form != nil {
			runs = append(runs, run{tc: c, multipart: true})
		}
	}
	for _, c := range runs {
		name := c.method + " " + c.path + " " + c.field
		if c.multipart {
			name += " multipart"
		}
		t.Run(name, func(t *testing.T) {
			b := sessions[c.who]
			var body *strings.Reader
			contentType := "application/x-www-form-urlencoded"
			switch {
			case c.multipart:
				var buf bytes.Buffer
				w := multipart.NewWriter(&buf)
				for k, vs := range c.form {
					for _, v := range vs {
						_ = w.WriteField(k, v)
					}
				}
				_ = w.Close()
				body, contentType = strings.NewReader(buf.String()), w.FormDataContentType()
			case c.form != nil:
				body = strings.NewReader(c.form.Encode())
			default:
				body = strings.NewReader(c.json)
			}
			req, err := http.NewRequest(c.method, b.base+c.path, body)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.form != nil:
				req.Header.Set("Content-Type", contentType)
			case c.json != "":
				req.Header.Set("Content-Type", "application/json")
			case strings.HasPrefix(c.path, "/api/v1/apis?"):
				req.Header.Set("Content-Type", "application/yaml")
				req.Body = http.NoBody
			}
			status, _, out := b.raw(req)
			if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
				t.Fatalf("= %d, want 400 or 422:\n%s", status, out)
			}
			if !bytes.Contains(out, []byte(c.field)) {
				t.Errorf("the answer does not name %q:\n%s", c.field, out)
			}
			if strings.HasPrefix(c.path, "/api/") && !bytes.Contains(out, []byte(`"error":{"code":`)) {
				t.Errorf("the API's answer is not the JSON error shape:\n%s", out)
			}
		})
	}

	// A multipart form (the import of an API) is checked by the domain.
	t.Run("multipart import", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("slug", "gate")
		_ = w.WriteField("name", nul)
		fw, _ := w.CreateFormFile("spec", "api.yaml")
		_, _ = fw.Write([]byte(smallSpec))
		_ = w.Close()
		req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/catalog/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		status, _, out := sessions["am@portico.test"].raw(req)
		if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
			t.Fatalf("= %d, want 400 or 422:\n%s", status, out)
		}
	})
}

// randomText returns n random base32 strings joined: text no compression
// makes short.
func randomText(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(rand.Text())
	}
	return b.String()
}

// teamID returns the id of a team of the partner, creating one if needed.
func (p *portal) teamID(t *testing.T, partnerID int64) string {
	t.Helper()
	var id int64
	err := p.store.DB().Get(&id, `SELECT id FROM teams WHERE partner_id = $1 ORDER BY id LIMIT 1`, partnerID)
	if err != nil {
		if err := p.store.DB().Get(&id, `INSERT INTO teams (partner_id, name) VALUES ($1, 'Input test') RETURNING id`, partnerID); err != nil {
			t.Fatal(err)
		}
	}
	return itoa(id)
}
