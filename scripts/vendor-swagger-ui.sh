#!/usr/bin/env bash
# Re-fetches the pinned front-end packages of the "Try it" console and its
# browser tests from the npm registry and copies the files the repository
# keeps. The copies are committed: `make test` and `make run` never need the
# network. To update, change a version and its integrity (from
# `npm view PACKAGE@VERSION dist.integrity`), run this, and commit the diff.
#
#   swagger-ui-dist -> static/vendor/swagger-ui/ (embedded in the binary)
#   axe-core        -> internal/e2e/testdata/axe.min.js (tests only)
set -euo pipefail

SWAGGER_UI_VERSION=5.35.0
SWAGGER_UI_INTEGRITY=sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==
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

fetch swagger-ui-dist "$SWAGGER_UI_VERSION" "$SWAGGER_UI_INTEGRITY"
dst="$root/static/vendor/swagger-ui"
rm -rf "$dst"
mkdir -p "$dst"
# The bundle (no standalone preset: the console uses the base layout), its
# stylesheet, and the licences (the bundle's third-party notices included).
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  cp "$tmp/swagger-ui-dist/$f" "$dst/$f"
done
echo "swagger-ui-dist $SWAGGER_UI_VERSION ($SWAGGER_UI_INTEGRITY), from the npm registry by scripts/vendor-swagger-ui.sh" >"$dst/VERSION"

fetch axe-core "$AXE_CORE_VERSION" "$AXE_CORE_INTEGRITY"
dst="$root/internal/e2e/testdata"
mkdir -p "$dst"
cp "$tmp/axe-core/axe.min.js" "$dst/axe.min.js"
cp "$tmp/axe-core/LICENSE" "$dst/axe.LICENSE"
echo "axe-core $AXE_CORE_VERSION ($AXE_CORE_INTEGRITY), from the npm registry by scripts/vendor-swagger-ui.sh" >"$dst/axe.VERSION"

echo "vendor: swagger-ui-dist $SWAGGER_UI_VERSION and axe-core $AXE_CORE_VERSION copied" >&2
