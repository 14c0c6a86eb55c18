#!/usr/bin/env bash
# make bench, second half: wrk against a trivial upstream, directly and
# through Portico's /live gateway with a valid PAT (2 threads x 50
# connections x 15 s each), then calls answered vs audit rows written.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "bench: installing wrk with apt-get" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi

work=$(mktemp -d)
chmod 755 "$work" # the postgres user runs the demo cluster when we are root
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP_PORT=$(free_port)
PORT=$(free_port)
DURATION=${BENCH_DURATION:-15s}

go build -o "$work/portico" ./cmd/portico
go build -o "$work/upstream" ./scripts/bench/upstream
go build -o "$work/setup" ./scripts/bench/setup

"$work/upstream" -addr "127.0.0.1:$UP_PORT" & pids+=($!)

export PORTICO_SECRET="bench-secret-bench-secret-bench-secret-42"
export PORTICO_DATA="$work/data"
mkdir -p "$PORTICO_DATA" && chmod 755 "$PORTICO_DATA"
"$work/portico" dev --addr "127.0.0.1:$PORT" >"$work/portico.log" 2>&1 & portico_pid=$!
pids+=($portico_pid)
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "bench: portal did not start"; tail -20 "$work/portico.log"; exit 1; }

TOKEN=$("$work/setup" token "http://127.0.0.1:$UP_PORT")
sleep 1 # the gateway's caches follow the change notifications

# Warm up both paths, then measure.
wrk -t2 -c50 -d2s "http://127.0.0.1:$UP_PORT/spreaders" >/dev/null
wrk -t2 -c50 -d2s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/live/fleet/spreaders" >/dev/null
before=$("$work/setup" count)

wrk -t2 -c50 -d"$DURATION" --latency "http://127.0.0.1:$UP_PORT/spreaders" >"$work/direct.txt"
wrk -t2 -c50 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/live/fleet/spreaders" >"$work/gateway.txt"

# Stop the portal gracefully: the audit queue is flushed on shutdown.
kill -TERM "$portico_pid"; wait "$portico_pid" 2>/dev/null || true
after=$("$work/setup" count)

rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
total() { awk '/requests in/ {print $1}' "$1"; }
non2xx() { awk '/Non-2xx/ {print $5}' "$1"; }
d=$(rps "$work/direct.txt"); g=$(rps "$work/gateway.txt")
printf '\n%-22s %12s %10s %10s\n' "" "requests/s" "p50" "p99"
printf '%-22s %12s %10s %10s\n' "upstream directly" "$d" "$(pct "$work/direct.txt" 50%)" "$(pct "$work/direct.txt" 99%)"
printf '%-22s %12s %10s %10s\n' "through /live (PAT)" "$g" "$(pct "$work/gateway.txt" 50%)" "$(pct "$work/gateway.txt" 99%)"
awk -v d="$d" -v g="$g" 'BEGIN { printf "gateway / direct      %12.2fx\n", g / d }'
answered=$(total "$work/gateway.txt")
echo "calls answered by the gateway (wrk): $answered, non-2xx: $(non2xx "$work/gateway.txt" || true)"
echo "audit rows written during the run:  $((after - before))"
echo "(wrk does not count the calls still in flight when it stops; they are audited too)"
