#!/usr/bin/env bash
# Static analysis; fails on any finding.
#   staticcheck: pinned in go.mod's tool block.
#   gosec: pinned in tools/gosec/go.mod, so that its own dependencies stay out
#   of Portico's. It reads the packages of ./... (testdata and the tools
#   modules are none of them) without their _test.go files (gosec's default),
#   with every rule: no rule and no folder is excluded. A finding is fixed, or
#   justified on its line with `// #nosec G<rule> -- <why it is safe here>`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
echo "== staticcheck"
"$GO" tool staticcheck ./...
echo "== gosec"
"$GO" tool -modfile=tools/gosec/go.mod gosec -quiet -fmt text ./...
