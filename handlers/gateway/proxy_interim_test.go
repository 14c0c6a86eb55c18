package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// interimUpstream answers as the caller's X-Mode asks: an early hint (103)
// carrying headers of the origin before its answer, or an answer whose
// trailers (announced, or not: Go's TrailerPrefix) set a cookie.
func interimUpstream(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.Header.Get("X-Mode") {
	case "early":
		h.Set("Link", "</style.css>; rel=preload; as=style")
		h.Set("Set-Cookie", "early=1; Path=/")
		h.Set("Server", "upstream-httpd/2.4.1")
		w.WriteHeader(http.StatusEarlyHints)
		h.Del("Link")
		h.Del("Set-Cookie")
		h.Del("Server")
	case "trailer":
		h.Set("Trailer", "Set-Cookie, Clear-Site-Data, X-Checksum")
	case "checksum":
		h.Set("Trailer", "X-Checksum")
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"items":[]}`))
	switch r.Header.Get("X-Mode") {
	case "trailer":
		h.Set("Set-Cookie", "trailer=1; Path=/")
		h.Set("Clear-Site-Data", `"cookies"`)
		h.Set("X-Checksum", "abc")
	case "checksum":
		h.Set("X-Checksum", "abc")
	case "unannounced":
		w.(http.Flusher).Flush()
		h.Set(http.TrailerPrefix+"Set-Cookie", "unannounced=1; Path=/")
		h.Set(http.TrailerPrefix+"X-Checksum", "abc")
	}
}

// TestLiveProxyInterimAndTrailers: the upstream's cookies reach the
// portal's origin neither in an interim (1xx) answer nor in trailers; an
// early hint is passed on without being taken for the call's answer, whose
// own headers (request id, rate limit, security) survive it; other
// trailers are passed on.
//
// On the fasthttp edge, informational answers are not passed on (fasthttp
// cannot send one), and an upstream answer with a trailer fasthttp
// forbids (Set-Cookie among them) fails instead of being cleaned: 502 when
// the trailer was announced, the body's end cut off when it was not. No
// cookie reaches the caller either way.
func TestLiveProxyInterimAndTrailers(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	up := httptest.NewServer(http.HandlerFunc(interimUpstream))
	t.Cleanup(up.Close)
	l.setUpstream(t, "fleet", up.URL)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	type answer struct {
		Interim      []int
		InterimHdr   []string // the 1xx headers the caller got, named
		Status       int
		HasRequestID bool
		HasRateLimit bool
		Nosniff      string
		Cookies      []string
		Trailer      map[string]string
	}
	type mode struct {
		mode string
		want answer
	}
	modes := []mode{
		{"early", answer{Interim: []int{103}, InterimHdr: []string{"Link"}, Status: 200, HasRequestID: true, HasRateLimit: true, Nosniff: "nosniff",
			Trailer: map[string]string{}}},
		{"trailer", answer{Status: 200, HasRequestID: true, HasRateLimit: true, Nosniff: "nosniff",
			Trailer: map[string]string{"X-Checksum": "abc"}}},
		{"unannounced", answer{Status: 200, HasRequestID: true, HasRateLimit: true, Nosniff: "nosniff",
			Trailer: map[string]string{"X-Checksum": "abc"}}},
		{"checksum", answer{Status: 200, HasRequestID: true, HasRateLimit: true, Nosniff: "nosniff",
			Trailer: map[string]string{"X-Checksum": "abc"}}},
	}
	audited := []int{200, 200, 200, 200}
	if onFastEdge(t) {
		modes[0].want.Interim, modes[0].want.InterimHdr = nil, nil
		modes[1].want = answer{Status: 502, HasRequestID: true, HasRateLimit: true, Nosniff: "nosniff", Trailer: map[string]string{}}
		modes[2].want.Trailer = map[string]string{}
		audited[1] = 502
	}
	for _, tc := range modes {
		t.Run(tc.mode, func(t *testing.T) {
			var mu sync.Mutex
			var got answer
			trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				mu.Lock()
				defer mu.Unlock()
				got.Interim = append(got.Interim, code)
				for _, k := range []string{"Link", "Set-Cookie", "Server"} {
					if h.Get(k) != "" {
						got.InterimHdr = append(got.InterimHdr, k)
					}
				}
				return nil
			}}
			req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", l.srv.URL+"/live/fleet/spreaders", nil)
			req.Header.Set("Authorization", "Bearer "+live)
			req.Header.Set("X-Mode", tc.mode)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			got.Status = resp.StatusCode
			got.HasRequestID = resp.Header.Get("X-Request-Id") != ""
			got.HasRateLimit = resp.Header.Get("RateLimit") != "" && resp.Header.Get("RateLimit-Policy") != ""
			got.Nosniff = resp.Header.Get("X-Content-Type-Options")
			got.Cookies = append(resp.Header.Values("Set-Cookie"), resp.Trailer.Values("Set-Cookie")...)
			got.Trailer = map[string]string{}
			for k := range resp.Trailer {
				if v := resp.Trailer.Get(k); v != "" {
					got.Trailer[k] = v
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	l.stop()
	var statuses []int
	if err := l.st.DB().Select(&statuses, `SELECT status FROM api_calls`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(audited, statuses); diff != "" {
		t.Errorf("audited statuses (-want +got):\n%s", diff)
	}
}
