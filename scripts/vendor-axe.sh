#!/usr/bin/env bash
# Re-fetches the pinned axe-core of the browser tests' accessibility check
# from the npm registry and copies the files the repository keeps. The
# copies are committed: `make test` never needs the network. To update,
# change the version and its integrity (from
# `npm view axe-core@VERSION dist.integrity`), run this, and commit the diff.
#
#   axe-core -> internal/e2e/testdata/axe.min.js (tests only)

set -euo pipefail

AXE_CORE_VERSION=4.14.1
AXE_CORE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# fetch NAME VERSION INTEGRITY: npm pack into $tmp, check the tarball's
# integrity, unpack into $tmp/NAME.
fetch() {
  local name=$1 version=$2 integrity=$3 tgz got
  tgz=$(cd "$tmp" && npm pack --silent "$name@$version")
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "vendor: $name@$version has integrity $got, want $integrity" >&2
    exit 1
  fi
  mkdir -p "$tmp/$name"
  tar -xzf "$tmp/$tgz" -C "$tmp/$name" --strip-components=1
}

fetch axe-core "$AXE_CORE_VERSION" "$AXE_CORE_INTEGRITY"
dst="$root/internal/e2e/testdata"
mkdir -p "$dst"
cp "$tmp/axe-core/axe.min.js" "$dst/axe.min.js"
cp "$tmp/axe-core/LICENSE" "$dst/axe.LICENSE"
echo "axe-core $AXE_CORE_VERSION ($AXE_CORE_INTEGRITY), from the npm registry by scripts/vendor-axe.sh" >"$dst/axe.VERSION"

echo "vendor: axe-core $AXE_CORE_VERSION copied" >&2
