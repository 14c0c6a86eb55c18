package static

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/google/go-cmp/cmp"
)

func decode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return out
}

// TestCompressedCopiesAreCurrent fails when an asset changed (or was added)
// without `make generate`: a stale copy would serve last release's script
// to every browser that accepts brotli.
func TestCompressedCopiesAreCurrent(t *testing.T) {
	t.Parallel()
	n := 0
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isCopy(p) {
			return err
		}
		switch path.Ext(p) {
		case ".css", ".js", ".svg":
		default:
			return nil
		}
		n++
		want, _ := files.ReadFile(p)
		for _, e := range encodings {
			b, err := files.ReadFile(p + e.suffix)
			if err != nil {
				t.Errorf("%s has no %s copy: run make generate", p, e.name)
				continue
			}
			if !bytes.Equal(decode(t, e.name, b), want) {
				t.Errorf("%s%s is not %s as it is now: run make generate", p, e.suffix, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("walked %d assets; the embed patterns lost the stylesheets and scripts", n)
	}
}

func TestServeChoosesEncoding(t *testing.T) {
	t.Parallel()
	const name = "vendor/htmx-2.0.11.min.js"
	url := URL(name)
	want, _ := files.ReadFile(name)
	etags := map[string]string{}
	for _, tc := range []struct {
		accept, coding string
	}{
		{"", ""},
		{"gzip, deflate, br, zstd", "br"},
		{"gzip", "gzip"},
		{"GZIP;q=0.8", "gzip"},
		{"br;q=0, gzip", "gzip"},
		{"br;q=0.000, gzip;q=0.001", "gzip"},
		{"*", "br"},
		{"gzip;q=0, *;q=0.1", "br"},
		{"*;q=0", ""},
		{"identity", ""},
		{"deflate, compress", ""},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, url, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			w := httptest.NewRecorder()
			if !Serve(w, req) {
				t.Fatal("Serve found no asset")
			}
			res := w.Result()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			got := map[string]string{
				"Content-Encoding": res.Header.Get("Content-Encoding"),
				"Vary":             res.Header.Get("Vary"),
				"Content-Type":     res.Header.Get("Content-Type"),
				"Cache-Control":    res.Header.Get("Cache-Control"),
			}
			if diff := cmp.Diff(map[string]string{
				"Content-Encoding": tc.coding,
				"Vary":             "Accept-Encoding",
				"Content-Type":     "text/javascript; charset=utf-8",
				"Cache-Control":    "public, max-age=31536000, immutable",
			}, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			body := w.Body.Bytes()
			if tc.coding != "" && len(body) >= len(want)/3 {
				t.Errorf("%s body is %d bytes of %d: not compressed", tc.coding, len(body), len(want))
			}
			if !bytes.Equal(decode(t, tc.coding, body), want) {
				t.Errorf("%s body does not decode to the asset", tc.coding)
			}
			etags[tc.coding] = res.Header.Get("ETag")
		})
	}
	if len(etags) != 3 || etags[""] == etags["br"] || etags["br"] == etags["gzip"] {
		t.Errorf("each encoding needs its own ETag, got %q", etags)
	}
}

// TestServeRevalidates: a browser revalidating its brotli copy gets 304,
// and one holding the gzip copy's validator does not get a 304 for brotli.
func TestServeRevalidates(t *testing.T) {
	t.Parallel()
	url := URL("css/portico.css")
	get := func(accept, inm string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Encoding", accept)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		w := httptest.NewRecorder()
		Serve(w, req)
		return w.Result()
	}
	br := get("br", "").Header.Get("ETag")
	gz := get("gzip", "").Header.Get("ETag")
	if !strings.HasSuffix(br, `-br"`) || !strings.HasSuffix(gz, `-gzip"`) {
		t.Fatalf("ETags %s and %s", br, gz)
	}
	if code := get("br", br).StatusCode; code != http.StatusNotModified {
		t.Errorf("revalidating brotli with its ETag: %d, want 304", code)
	}
	if code := get("br", gz).StatusCode; code != http.StatusOK {
		t.Errorf("brotli request with the gzip ETag: %d, want 200", code)
	}
}

func TestServeUnknown(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/static/css/portico.css", "/static/css/portico.css.br", URL("css/portico.css") + ".gz"} {
		if Serve(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil)) {
			t.Errorf("%s was served", p)
		}
	}
}
