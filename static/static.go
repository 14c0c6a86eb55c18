// Package static serves Portico's stylesheets and scripts from the binary
// under content-hashed URLs (/static/NAME.HASH.EXT), so browsers may cache
// them for a year and a new release is fetched at once.
package static

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

//go:embed vendor/*.js vendor/*.css vendor/swagger-ui/*.js vendor/swagger-ui/*.css css/*.css js/*.js img/*.svg
var files embed.FS

// Prefix is where assets are served.
const Prefix = "/static/"

type asset struct {
	name string // path inside files, e.g. css/portico.css
	url  string // hashed URL
	data []byte
	ctyp string
}

var (
	once   sync.Once
	byName map[string]*asset
	byURL  map[string]*asset
)

func load() {
	byName, byURL = map[string]*asset{}, map[string]*asset{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(p)
		a := &asset{name: p, data: data, url: Prefix + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext}
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

// Serve writes the asset at the request's hashed URL with immutable cache
// headers and reports whether there was one; the caller answers 404 otherwise.
func Serve(w http.ResponseWriter, r *http.Request) bool {
	once.Do(load)
	a, ok := byURL[r.URL.Path]
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", a.ctyp)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(w, r, a.name, time.Unix(0, 0), bytes.NewReader(a.data))
	return true
}
