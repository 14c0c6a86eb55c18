package handlers

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/static"
)

// minCompress is the smallest page worth compressing: below it gzip's
// header and a round trip's framing outweigh the saving.
const minCompress = 1400

// gzipWriters are reused: a gzip.Writer allocates about 800 KB of state.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// writeHTML writes a rendered page, gzipped when the browser accepts it
// and the page is large enough (the docs page's 80 KB of HTML become about
// 12 KB). A page that shows a secret (Cache-Control: no-store) is never
// compressed: compressing a secret next to text an attacker can choose is
// what BREACH measures.
func writeHTML(c echo.Context, status int, page []byte) error {
	res := c.Response()
	h := res.Header()
	h.Add("Vary", "Accept-Encoding")
	if len(page) < minCompress || strings.Contains(h.Get("Cache-Control"), "no-store") ||
		!static.Accepts(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		return c.HTMLBlob(status, page)
	}
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, err := zw.Write(page)
	if err == nil {
		err = zw.Close()
	}
	gzipWriters.Put(zw)
	if err != nil {
		return c.HTMLBlob(status, page)
	}
	h.Set(echo.HeaderContentEncoding, "gzip")
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	res.WriteHeader(status)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err = res.Write(buf.Bytes())
	return err
}
