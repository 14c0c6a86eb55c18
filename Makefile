# Portico: the README's two commands are `make run` and `make test`.
GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: run test build deps fmt generate bench bench-go bench-pages fuzz spectral lint

## run: serve the seeded demo on http://127.0.0.1:8080 (local PostgreSQL unless DATABASE_URL is set)
run: deps build
	./bin/portico dev

## test: everything CI checks: formatting, vet, templ files current, tests with the race detector,
## and beside them staticcheck, gosec and Spectral's OWASP rules on portal.yaml (scripts/test.sh)
test: deps
	GO=$(GO) ./scripts/test.sh

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/portico ./cmd/portico

deps:
	@./scripts/deps.sh

## generate: templ's Go files, and the brotli/gzip copies of static assets (after changing one)
generate:
	$(GO) tool templ generate
	$(GO) generate ./static

fmt:
	gofmt -w $$(git ls-files --cached --others --exclude-standard '*.go')

## bench: cmd/portico-bench, which writes BENCHMARKS.md (about 6 minutes): wrk against the upstream,
## NGINX, bare net/http and fasthttp proxies, Portico's /live and /sandbox and a bare echo handler in
## alternating rounds (BENCH_ROUNDS rounds, default 2, of BENCH_DURATION each, default 10s; medians),
## the floors of issue 18 beside the ratios, revocation across three nodes, audit ingestion, the OAuth
## token endpoint and the in-process chain. deps installs NGINX; the command installs wrk.
BENCH_ROUNDS ?= 2
BENCH_DURATION ?= 10s
bench: deps
	BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_DURATION=$(BENCH_DURATION) $(GO) run ./cmd/portico-bench

## bench-go: every Go benchmark of every package (about 20 minutes on 2 cores; BENCH=regexp narrows
## it, e.g. make bench-go BENCH=Chain), BenchmarkNGINX among them
BENCH ?= .
bench-go: deps
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

## bench-pages: every list page and /api/v1 list per role on the generated data set, as a markdown
## table in bench-pages.md (PORTICO_BENCH_SCALE=full: issue 12's size; PORTICO_BENCH_DATABASE_URL:
## a database filled by `portico dev generate`; PORTICO_BENCH_TABLE: another file)
bench-pages:
	PORTICO_BENCH_TABLE=$${PORTICO_BENCH_TABLE:-$(CURDIR)/bench-pages.md} $(GO) test -run '^$$' -bench '^BenchmarkPages$$' -benchtime 1x -timeout 60m ./handlers/scaletest

## fuzz: each fuzz target for FUZZTIME (default 30s), one after another: the token parser, the
## OpenAPI import, the gateway's path matching, the leaked-token report body and API errors (a failing input
## is written to the package's testdata/fuzz and then runs with the ordinary tests)
FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzParse:./internal/token FuzzParse:./internal/catalog FuzzMatch:./handlers/gateway FuzzReport:./internal/leak FuzzAppendJSON:./internal/apierr
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} in $${t#*:} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) "$${t#*:}"; \
	done

## spectral: openapi/portal.yaml linted by Spectral with the OWASP API ruleset (pinned in
## tools/spectral, installed on first run); fails on any error or warning
spectral:
	./scripts/spectral.sh

## lint: staticcheck and gosec over every package, failing on any finding (scripts/lint.sh)
lint:
	GO=$(GO) ./scripts/lint.sh
