// Package static serves Portico's stylesheets and scripts from the binary
// under content-hashed URLs (/static/NAME.HASH.EXT), so browsers may cache
// them for a year and a new release is fetched at once. Text assets are
// embedded with brotli and gzip copies made by cmd/compress-assets, and each
// request gets the smallest one its Accept-Encoding allows.
package static

//go:generate go run ../cmd/compress-assets -dir .

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed vendor/*.js vendor/*.css css/*.css js/*.js img/*.svg
//go:embed vendor/*.br vendor/*.gz css/*.br css/*.gz js/*.br js/*.gz img/*.br img/*.gz
var files embed.FS

// encodings are the precompressed copies an asset may have, best first: the
// file name's suffix and the Content-Encoding it is served with.
var encodings = [...]struct{ suffix, name string }{{".br", "br"}, {".gz", "gzip"}}

// Prefix is where assets are served.
const Prefix = "/static/"

type asset struct {
	name string // path inside files, e.g. css/portico.css
	url  string // hashed URL
	data []byte
	ctyp string
	etag string
	// encoded are the brotli and gzip copies, in encodings' order; nil
	// where there is none or it is not smaller than data.
	encoded [len(encodings)][]byte
}

var (
	once   sync.Once
	byName map[string]*asset
	byURL  map[string]*asset
)

func load() {
	byName, byURL = map[string]*asset{}, map[string]*asset{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || isCopy(p) {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(p)
		hash := hex.EncodeToString(sum[:6])
		a := &asset{name: p, data: data, url: Prefix + strings.TrimSuffix(p, ext) + "." + hash + ext, etag: `"` + hash}
		for i, e := range encodings {
			if b, err := files.ReadFile(p + e.suffix); err == nil && len(b) < len(data) {
				a.encoded[i] = b
			}
		}
		switch ext {
		case ".css":
			a.ctyp = "text/css; charset=utf-8"
		case ".js":
			a.ctyp = "text/javascript; charset=utf-8"
		case ".svg":
			a.ctyp = "image/svg+xml"
		default:
			a.ctyp = "application/octet-stream"
		}
		byName[p] = a
		byURL[a.url] = a
		return nil
	})
}

// URL returns the hashed URL of the asset at name (e.g. "css/portico.css").
// It panics on an unknown name: a typo in a template must fail every test
// that renders it, not ship a broken link.
func URL(name string) string {
	once.Do(load)
	a, ok := byName[name]
	if !ok {
		panic("static: no asset " + name)
	}
	return a.url
}

// isCopy reports whether p is a compressed copy of another asset.
func isCopy(p string) bool {
	for _, e := range encodings {
		if strings.HasSuffix(p, e.suffix) {
			return true
		}
	}
	return false
}

// Serve writes the asset at the request's hashed URL with immutable cache
// headers, brotli- or gzip-encoded when the request accepts it and the asset
// has such a copy, and reports whether there was one; the caller answers 404
// otherwise.
func Serve(w http.ResponseWriter, r *http.Request) bool {
	once.Do(load)
	a, ok := byURL[r.URL.Path]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", a.ctyp)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	// Vary on every answer, encoded or not: a shared cache must not hand
	// the identity copy it stored for one client to a browser that would
	// have taken brotli, nor brotli to a client that cannot read it.
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.data, a.etag
	accept := r.Header.Get("Accept-Encoding")
	for i, e := range encodings {
		if a.encoded[i] != nil && Accepts(accept, e.name) {
			body, etag = a.encoded[i], a.etag+"-"+e.name
			h.Set("Content-Encoding", e.name)
			break
		}
	}
	// Each representation has its own validator, so a cached gzip copy
	// is never revalidated as if it were the brotli one.
	h.Set("ETag", etag+`"`)
	http.ServeContent(w, r, a.name, time.Unix(0, 0), bytes.NewReader(body))
	return true
}

// Accepts reports whether an Accept-Encoding header value allows coding:
// named with a q-value above zero, or covered by "*" when not named
// (RFC 9110, section 12.5.3).
func Accepts(header, coding string) bool {
	star := false
	for header != "" {
		var item string
		item, header, _ = strings.Cut(header, ",")
		name, params, _ := strings.Cut(item, ";")
		name = strings.TrimSpace(name)
		ok := qAboveZero(params)
		switch {
		case strings.EqualFold(name, coding):
			return ok
		case name == "*":
			star = ok
		}
	}
	return star
}

// qAboveZero reads the q parameter of one Accept-Encoding item ("q=0.5");
// an item without one has q=1.
func qAboveZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		v = strings.TrimSpace(v)
		// q is at most three decimals (RFC 9110, 12.4.2): any digit
		// other than 0 makes it positive.
		return strings.ContainsAny(v, "123456789")
	}
	return true
}
