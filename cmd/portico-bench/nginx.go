package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// nginxConf is Debian's NGINX as a provider would put it in front of the
// upstream: proxy_pass over kept-alive upstream connections, one worker
// per core, no access log. It runs in the foreground with its temporary
// files under dir.
func nginxConf(dir, listen, upstream string) string {
	return `daemon off;
master_process on;
worker_processes auto;
pid ` + filepath.Join(dir, "nginx.pid") + `;
error_log stderr warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ` + filepath.Join(dir, "body") + `;
    proxy_temp_path ` + filepath.Join(dir, "proxy") + `;
    fastcgi_temp_path ` + filepath.Join(dir, "fastcgi") + `;
    uwsgi_temp_path ` + filepath.Join(dir, "uwsgi") + `;
    scgi_temp_path ` + filepath.Join(dir, "scgi") + `;
    upstream api_servers { server ` + upstream + `; keepalive 64; }
    server {
        listen ` + listen + `;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://api_servers;
        }
    }
}
`
}

// startNGINX runs NGINX proxying to upstream and waits until it answers
// probe (a path of the upstream) with 200.
func startNGINX(ctx context.Context, ps *procs, dir, upstream, probe string) (*proc, string, error) {
	bin := nginxBinary()
	if bin == "" {
		return nil, "", fmt.Errorf("nginx is not installed")
	}
	dir = filepath.Join(dir, "nginx")
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- NGINX's prefix folder, where its workers (their own user when root) keep temporary files
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, addr, upstream)), 0o600); err != nil {
		return nil, "", err
	}
	p, err := ps.start("nginx", bin, []string{"-p", dir, "-c", conf, "-e", "stderr"}, nil)
	if err != nil {
		return nil, "", err
	}
	return p, "http://" + addr, p.waitHTTP(ctx, "http://"+addr+probe, 200, 10*time.Second)
}
