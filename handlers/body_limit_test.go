package handlers_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// counter is a body of n bytes of fill after a prefix, generated as it is
// read, counting what the server consumed.
type counter struct {
	prefix []byte
	n      int64
	read   int64
}

func (c *counter) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		k := copy(p, c.prefix)
		c.prefix = c.prefix[k:]
		c.read += int64(k)
		return k, nil
	}
	if c.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	k = min(k, c.n)
	for i := range p[:k] {
		p[i] = 'a'
	}
	c.n -= k
	c.read += k
	return int(k), nil
}

// TestPortalBodyLimits: every portal and /api/v1 route reads at most
// 1 MiB of a body (the import routes, their own larger limit): a larger
// declared length is refused with 413 before reading, and a chunked
// multipart form, even on the sign-in form, is no longer read whole.
func TestPortalBodyLimits(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)

	for _, tc := range []struct {
		name, path, ctype string
		json              bool
	}{
		{"sign-in form", "/sign-in", "application/x-www-form-urlencoded", false},
		{"management API", "/api/v1/teams", "application/json", true},
	} {
		t.Run(tc.name+" declared", func(t *testing.T) {
			body := &counter{n: 2 << 20}
			req := httptest.NewRequest(http.MethodPost, tc.path, body)
			req.ContentLength = 2 << 20
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Accept", "application/json")
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "too_large") {
				t.Errorf("= %d %.200s, want 413 too_large", rec.Code, rec.Body)
			}
			if body.read != 0 {
				t.Errorf("read %d bytes of a body refused by its length", body.read)
			}
		})
	}

	t.Run("sign-in multipart chunked", func(t *testing.T) {
		var head bytes.Buffer
		w := multipart.NewWriter(&head)
		_ = w.WriteField("email", "dev@harbor.test")
		fw, _ := w.CreateFormFile("password", "p.txt")
		_, _ = fw.Write([]byte("x"))
		body := &counter{prefix: head.Bytes(), n: 64 << 20}
		req := httptest.NewRequest(http.MethodPost, "/sign-in", body)
		req.ContentLength = -1
		req.Header.Set("Content-Type", w.FormDataContentType())
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("= %d, want a refusal, not a failure", rec.Code)
		}
		if body.read > 1<<20+64<<10 {
			t.Errorf("the portal read %d MiB of a 64 MiB form", body.read>>20)
		}
	})

	t.Run("import takes more", func(t *testing.T) {
		// A 2 MiB document is over the default but within the import's
		// own 3 MiB: it reaches the handler (which asks to sign in).
		req := httptest.NewRequest(http.MethodPost, "/catalog/import", &counter{n: 2 << 20})
		req.ContentLength = 2 << 20
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		if rec.Code == http.StatusRequestEntityTooLarge {
			t.Errorf("= %d, want the import's own limit (%s MiB) to apply", rec.Code, strconv.Itoa(3))
		}
	})

	// Routes with a larger limit of their own are bounded by it too: a
	// form parsed before authentication (the input check) stops there.
	for _, path := range []string{"/catalog/import", "/api/v1/apis"} {
		t.Run(path+" URL-encoded chunked, signed out", func(t *testing.T) {
			body := &counter{prefix: []byte("slug="), n: 9 << 20}
			req := httptest.NewRequest(http.MethodPost, path, body)
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("= %d, want 413", rec.Code)
			}
			if body.read > 3<<20+64<<10 {
				t.Errorf("read %d KiB of a 9 MiB form before authentication", body.read>>10)
			}
		})
	}
}
