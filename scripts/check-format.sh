#!/usr/bin/env bash
# Fails listing any Go file that gofmt would change.
set -euo pipefail
bad="$(gofmt -l $(git ls-files --cached --others --exclude-standard '*.go'))"
if [ -n "$bad" ]; then
  echo "gofmt: these files need formatting (run gofmt -w):" >&2
  echo "$bad" >&2
  exit 1
fi
