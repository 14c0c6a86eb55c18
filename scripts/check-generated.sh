#!/usr/bin/env bash
# Fails when the committed *_templ.go files differ from what the pinned templ
# generator makes of the .templ files (it regenerates them as a side effect).
set -euo pipefail
sum() { find views -name '*_templ.go' -print0 | sort -z | xargs -0 sha256sum; }
before="$(sum)"
go tool templ generate >/dev/null 2>&1 || { go tool templ generate; exit 1; }
after="$(sum)"
if [ "$before" != "$after" ]; then
  echo "templ: generated files were out of date with the .templ sources; they are regenerated now, commit them" >&2
  exit 1
fi
