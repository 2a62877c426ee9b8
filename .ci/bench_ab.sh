#!/usr/bin/env bash
# Two portal binaries back to back on the same data: the overview with 50 schemes (SQLite,
# wrk -t2 -c32), alternating OLD and NEW for a few rounds so that a busy moment on the machine
# falls on both. 127.0.0.1 only, bounded in time.
#   .ci/bench_ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
# (A binary copied away from its target folder serves its stylesheet without the hash: the same
# for both, so the comparison holds.)
# The data comes from `portal-tools bench-seed`: the one beside NEW, or BENCH_TOOLS (for an OLD
# binary with fewer migrations, its own `bench-seed`). Each binary serves its own copy of the
# seeded database, so one that migrates its copy forward leaves the other's as it was.
set -euo pipefail
OLD="$1" NEW="$2" ROUNDS="${3:-3}"
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"
TOOLS="${BENCH_TOOLS:-$(dirname "$NEW")/portal-tools}"
if [ ! -x "$TOOLS" ]; then
  echo "no portal-tools at $TOOLS: build it (cargo build --release -p portal-tools) or set BENCH_TOOLS" >&2
  exit 2
fi
PORT="${BENCH_PORT:-3197}"
DURATION="${BENCH_DURATION:-15s}"
PASSWORD="bench password $RANDOM-$RANDOM"
TMP="$(mktemp -d)"
trap 'kill "${PID:-}" 2>/dev/null; rm -rf "$TMP"' EXIT
DATABASE_URL="sqlite://$TMP/ab.db" RUST_LOG=warn "$TOOLS" bench-seed --organisations 4 --schemes 50 \
  --password "$PASSWORD" >/dev/null
for label in old new; do
  for part in "" -wal -shm; do
    if [ -f "$TMP/ab.db$part" ]; then cp "$TMP/ab.db$part" "$TMP/$label.db$part"; fi
  done
done
run() {
  local label="$1" bin="$2"
  DATABASE_URL="sqlite://$TMP/$label.db" PORTAL_LISTEN="127.0.0.1:$PORT" PORTAL_SIGN_IN_BURST=1000 \
    PORTAL_READINESS_CHECKS=false LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn "$bin" >"$TMP/$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  local cookie
  cookie="$(bench_cookie "$PORT" bench-manager-2@bench.example "$PASSWORD")"
  local bytes
  bytes="$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/organisation" | wc -c)"
  wrk -t2 -c32 -d3s -H "Cookie: $cookie" "http://127.0.0.1:$PORT/organisation" >/dev/null
  local out
  out="$(wrk -t2 -c32 -d"$DURATION" --latency -H "Cookie: $cookie" "http://127.0.0.1:$PORT/organisation")"
  printf '| %-4s | %6s | %9s | %8s | %8s | %s |\n' "$label" "$bytes" \
    "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")" \
    "$(awk '$1 == "50%" { print $2 }' <<<"$out" | to_ms)" \
    "$(awk '$1 == "99%" { print $2 }' <<<"$out" | to_ms)" \
    "$(awk '/Non-2xx or 3xx responses:/ { n = $5 } END { print n + 0 }' <<<"$out") non-2xx"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}
echo "overview, 50 schemes, SQLite, wrk -t2 -c32 -d$DURATION, $(nproc) cores ($(date -u +%Y-%m-%dT%H:%MZ))"
echo "| bin  | bytes  |  req/s    | p50 ms   | p99 ms   | errors |"
echo "|------|--------|-----------|----------|----------|--------|"
for _ in $(seq 1 "$ROUNDS"); do run old "$OLD"; run new "$NEW"; done
