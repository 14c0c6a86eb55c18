#!/usr/bin/env bash
# Lints openapi/portal.yaml with Spectral and the OWASP API Security ruleset
# (tools/spectral: versions pinned in package-lock.json, overrides and their
# reasons in ruleset.yaml), failing on any error or warning. Installs the
# pinned packages first when tools/spectral/node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tools/spectral
if [ ! -x "$dir/node_modules/.bin/spectral" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "spectral: npm is missing: run scripts/deps.sh (or apt-get install npm)" >&2
    exit 1
  fi
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
exec "$dir/node_modules/.bin/spectral" lint openapi/portal.yaml \
  --ruleset "$dir/ruleset.yaml" --format text --fail-severity warn
