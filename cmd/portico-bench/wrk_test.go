package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseWrk(t *testing.T) {
	t.Parallel()
	const clean = `Running 10s test @ http://127.0.0.1:8080/spreaders
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  12.92ms   93.69%
    Req/Sec    56.20k     8.07k   62.00k    86.54%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    5.00ms
  1117145 requests in 10.00s, 891.80MB read
Requests/sec: 111713.94
Transfer/sec:     89.18MB
`
	const troubled = `Running 1m test @ http://127.0.0.1:8080/live/fleet/spreaders
  2 threads and 50 connections
  Latency Distribution
     50%    1.20ms
     75%    2.00ms
     90%    3.00ms
     99%    1.02s
  61234 requests in 1.00m, 20.00MB read
  Socket errors: connect 0, read 3, write 1, timeout 12
  Non-2xx or 3xx responses: 17
Requests/sec:   1020.52
Transfer/sec:    341.33KB
`
	tests := []struct {
		name, out string
		want      wrkResult
		wantErr   string
	}{
		{name: "clean run", out: clean, want: wrkResult{Requests: 1117145, Elapsed: 10 * time.Second, RPS: 111713.94, P50: 250 * time.Microsecond, P99: 5 * time.Millisecond}},
		{name: "errors and non-2xx", out: troubled, want: wrkResult{Requests: 61234, Elapsed: time.Minute, RPS: 1020.52, P50: 1200 * time.Microsecond, P99: 1020 * time.Millisecond, Non2xx: 17, Errors: 16}},
		{name: "without --latency", out: "  10 requests in 1.00s, 1KB read\nRequests/sec: 10.00\n", wantErr: "no Requests/sec, total or latency distribution"},
		{name: "wrk failed to connect", out: "unable to connect to 127.0.0.1:1 Connection refused\n", wantErr: "no Requests/sec"},
		{name: "garbled percentile", out: strings.Replace(clean, "5.00ms", "5.00parsecs", 1), wantErr: `cannot read "     99%    5.00parsecs"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseWrk(tt.out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseWrk error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseWrk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrkArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  wrkRun
		want []string
	}{
		{"plain", wrkRun{URL: "http://a/x", Threads: 2, Connections: 50, Duration: 10 * time.Second},
			[]string{"-t2", "-c50", "-d10s", "--latency", "http://a/x"}},
		{"header, script, part seconds round up", wrkRun{URL: "http://a/x", Threads: 1, Connections: 4, Duration: 1500 * time.Millisecond, Headers: []string{"Authorization: Bearer t"}, Script: "/s.lua"},
			[]string{"-t1", "-c4", "-d2s", "--latency", "-H", "Authorization: Bearer t", "-s", "/s.lua", "http://a/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, tt.run.args()); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBench(t *testing.T) {
	t.Parallel()
	const out = `goos: linux
goarch: amd64
pkg: github.com/portico/portico/handlers/gateway
cpu: AMD EPYC
BenchmarkChainMetrics-2   	  300000	      4100 ns/op	    1300 B/op	      31 allocs/op
BenchmarkChain-2   	  372154	      3215 ns/op	    1278 B/op	      29 allocs/op
PASS
ok  	github.com/portico/portico/handlers/gateway	3.1s
`
	tests := []struct {
		name, out string
		want      *chain
		wantErr   string
	}{
		{name: "its line, not a longer name's", out: out, want: &chain{NsOp: 3215, BytesOp: 1278, AllocsOp: 29}},
		{name: "no suffix", out: "BenchmarkChain \t 10\t 12.5 ns/op\t 0 B/op\t 0 allocs/op\n", want: &chain{NsOp: 12.5}},
		{name: "without -benchmem", out: "BenchmarkChain-2 \t 10\t 3215 ns/op\n", wantErr: "was -benchmem given?"},
		{name: "missing", out: "PASS\n", wantErr: "no BenchmarkChain line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseBench(tt.out, "BenchmarkChain")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseBench error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseBench (-want +got):\n%s", diff)
			}
		})
	}
}
