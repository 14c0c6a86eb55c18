package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// revocationBudget bounds the revocation loop; the report says how many
// fit when it ends early.
const revocationBudget = 3 * time.Minute

// threeNodes starts three `portico serve` processes on the dev node's
// database, measures the OAuth token endpoint on node 1, then revokes
// tokens through node 1 and times how long nodes 2 and 3 take to refuse
// each.
func threeNodes(ctx context.Context, cfg config, pt *portico, work string, r *report) error {
	var nodes []*node
	defer func() {
		for _, n := range nodes {
			_ = n.p.stop(time.Minute)
		}
	}()
	for i := 1; i <= 3; i++ {
		n, err := pt.startNode(ctx, "portico-node"+strconv.Itoa(i), "serve")
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	if err := pt.open(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: creating %d tokens to revoke\n", cfg.Revocations)
	admin, toks, clientID, secret, err := pt.revocationAccounts(ctx, cfg.Revocations)
	if err != nil {
		return err
	}
	if r.OAuth, err = oauthEndpoint(ctx, cfg, nodes[0], work, clientID, secret); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: revoking %d tokens through node 1\n", len(toks))
	r.Revocation, err = revoke(ctx, nodes, admin, toks)
	return err
}

// oauthEndpoint runs wrk against node's /oauth/token with a lua script
// that POSTs a client credentials grant.
func oauthEndpoint(ctx context.Context, cfg config, n *node, work, clientID, secret string) (*target, error) {
	basic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + secret))
	script := filepath.Join(work, "oauth-token.lua")
	lua := `wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic ` + basic + `"
`
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return nil, err
	}
	t := &target{Name: "OAuth /oauth/token", URL: n.gateway + "/oauth/token"}
	w := wrkRun{URL: t.URL, Threads: cfg.Threads, Connections: cfg.Connections, Duration: cfg.Warmup, Script: script}
	fmt.Fprintln(os.Stderr, "bench: OAuth token endpoint")
	if _, err := runWrk(ctx, w); err != nil {
		return nil, err
	}
	w.Duration = cfg.Duration
	for range cfg.Rounds {
		res, err := runWrk(ctx, w)
		if err != nil {
			return nil, err
		}
		t.Rounds = append(t.Rounds, res)
	}
	return t, nil
}

// revoke revokes each token through node 1's management API, after nodes 2
// and 3 have accepted it, and measures from node 1's answer until both
// refuse it.
func revoke(ctx context.Context, nodes []*node, admin string, toks []issued) (*revocation, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	v := &revocation{}
	start := time.Now()
	for i, tk := range toks {
		if time.Since(start) > revocationBudget {
			v.Note = fmt.Sprintf("Stopped after %d of %d revocations: the loop has %s (each token is first called on nodes 2 and 3, then revoked, then polled).", i, len(toks), revocationBudget)
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, n := range nodes[1:] {
			if st, err := call(client, http.MethodGet, n.gateway+"/live/fleet/spreaders", tk.plain); err != nil || st != http.StatusOK {
				return nil, fmt.Errorf("token %d before its revocation: %s answered %d (%v)", i+1, n.p.name, st, err)
			}
		}
		st, err := call(client, http.MethodDelete, nodes[0].portal+"/api/v1/tokens/"+strconv.FormatInt(tk.id, 10), admin)
		if err != nil || st != http.StatusNoContent {
			return nil, fmt.Errorf("revoke token %d through node 1: %d (%v)", i+1, st, err)
		}
		revoked := time.Now()
		lags := make(chan error, 2)
		var lag [2]time.Duration
		for j, n := range nodes[1:] {
			go func() {
				for {
					st, err := call(client, http.MethodGet, n.gateway+"/live/fleet/spreaders", tk.plain)
					switch {
					case err != nil:
						lags <- err
						return
					case st == http.StatusUnauthorized:
						lag[j] = time.Since(revoked)
						lags <- nil
						return
					case st != http.StatusOK:
						lags <- fmt.Errorf("%s answered %d to a token being revoked", n.p.name, st)
						return
					case time.Since(revoked) > 30*time.Second:
						lags <- fmt.Errorf("%s still accepts token %d 30 s after its revocation", n.p.name, i+1)
						return
					}
				}
			}()
		}
		for range 2 {
			if err := <-lags; err != nil {
				return nil, err
			}
		}
		v.Lag = append(v.Lag, max(lag[0], lag[1]))
		v.Revoked++
	}
	return v, nil
}

// call makes one request with a bearer token and returns the status.
func call(client *http.Client, method, url, tok string) (int, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // drained already
	return resp.StatusCode, nil
}
