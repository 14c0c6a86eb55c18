package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
)

// serveRole runs one bare server until ctx ends: `serve nethttp|fasthttp
// -addr A -upstream U` proxies every call to U; `serve echo -addr A -body
// FILE -content-type CT` answers every GET with the file's bytes.
func serveRole(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("serve: which role? nethttp, fasthttp or echo")
	}
	fs := flag.NewFlagSet("serve "+args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	upstream := fs.String("upstream", "", "upstream host:port (proxies)")
	bodyFile := fs.String("body", "", "file of the bytes to answer (echo)")
	contentType := fs.String("content-type", "application/json", "their Content-Type (echo)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	switch args[0] {
	case "nethttp":
		return serveHTTP(ctx, ln, netHTTPProxy(*upstream))
	case "fasthttp":
		return serveFast(ctx, ln, *upstream)
	case "echo":
		body, err := os.ReadFile(*bodyFile) // #nosec G703 -- the file the bench itself wrote and passes to its own child process
		if err != nil {
			return err
		}
		return serveHTTP(ctx, ln, echoServer(body, *contentType))
	}
	return fmt.Errorf("serve: unknown role %q", args[0])
}

// netHTTPProxy is httputil's reverse proxy and nothing else, with the idle
// connection pool Portico's proxy has (the default keeps 2 per host).
func netHTTPProxy(upstream string) http.Handler {
	u := &url.URL{Scheme: "http", Host: upstream}
	return &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 128, IdleConnTimeout: 90 * time.Second},
	}
}

// echoServer is a bare echo instance with one handler answering body.
func echoServer(body []byte, contentType string) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/*", func(c echo.Context) error { return c.Blob(http.StatusOK, contentType, body) })
	return e
}

func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveFast is fasthttp's server handing every request to a HostClient of
// the upstream, nothing else.
func serveFast(ctx context.Context, ln net.Listener, upstream string) error {
	hc := &fasthttp.HostClient{Addr: upstream, MaxConns: 1024}
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		if err := hc.Do(&c.Request, &c.Response); err != nil {
			c.Error("bad gateway", fasthttp.StatusBadGateway)
		}
	}}
	go func() { <-ctx.Done(); _ = srv.Shutdown() }()
	return srv.Serve(ln)
}
