#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a fresh Debian machine,
# skipping whatever is already there. Run as root (or with sudo available).
set -euo pipefail

need=()
have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1
}
have_postgres || need+=(postgresql)
# The browser tests (internal/e2e) drive Debian's Chromium headless.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# The /auth/verify test (internal/nginxtest) runs Debian's NGINX in front
# of Portico; it lives in /usr/sbin, not on every user's PATH.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# Spectral (scripts/spectral.sh) lints openapi/portal.yaml; npm installs its
# pinned packages (tools/spectral).
command -v npm >/dev/null 2>&1 || need+=(npm)

if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "deps: missing ${need[*]} and not root: install them with apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
echo "deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "deps: installed ${need[*]}" >&2
