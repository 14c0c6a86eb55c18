#!/usr/bin/env bash
# make test: everything CI checks. The quick checks run first; then the
# static analysis (staticcheck, gosec, Spectral on portal.yaml) runs beside
# the tests rather than after them, since the tests spend much of their time
# waiting on PostgreSQL, browsers and servers. Both must pass; the linters'
# output is printed once they finish, not interleaved with the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

./scripts/check-format.sh
"$GO" vet ./...
./scripts/check-generated.sh

lintlog=$(mktemp)
trap 'rm -f "$lintlog"' EXIT
( ./scripts/lint.sh && ./scripts/spectral.sh ) >"$lintlog" 2>&1 &
lint=$!

status=0
"$GO" test -race -count=1 -timeout 20m ./... || status=$?

lintstatus=0
wait "$lint" || lintstatus=$?
echo "== static analysis (staticcheck, gosec, Spectral)"
cat "$lintlog"
if [ "$lintstatus" -ne 0 ]; then
  echo "static analysis failed" >&2
fi
if [ "$status" -ne 0 ] || [ "$lintstatus" -ne 0 ]; then
  exit 1
fi
