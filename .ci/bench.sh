#!/usr/bin/env bash
# Load figures for the release build, on 127.0.0.1 only, bounded in time:
# requests/s, p50 and p99 latency at 32 connections for the home page, and for static files
# served by the same server (the ceiling). Prints a table. Before the load, the front end's
# figures (.ci/bench_frontend.mjs, in Chromium): what a first visit downloads, and how soon the
# sign-in page and the overview are interactive on a slow connection.
set -euo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"

CONNECTIONS="${BENCH_CONNECTIONS:-32}"
DURATION="${BENCH_DURATION:-15s}"
PORT="${BENCH_PORT:-3199}"
BASE="http://127.0.0.1:$PORT"

ensure_build_tools
ensure_chromium
if ! command -v wrk >/dev/null; then
  say "Installing wrk (Debian)"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

build_release
build_release_tools
TOOLS="$(tools_bin release)"

TMP="$(mktemp -d)"
cleanup() { [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
say "Starting the release build on $BASE (fresh SQLite database, demo data)"
BENCH_PASSWORD="bench password $RANDOM-$RANDOM"
# It trusts X-Forwarded-For (as behind a proxy) so that each sign-in below can come from its
# own address: the per-address limiter would otherwise answer nearly all of them with 429.
DATABASE_URL="sqlite://$TMP/bench.db" PORTAL_LISTEN="127.0.0.1:$PORT" PORTAL_DEMO=true \
  PORTAL_DEMO_PASSWORD="$BENCH_PASSWORD" PORTAL_SIGN_IN_BURST=1000 PORTAL_TRUST_FORWARDED_FOR=true \
  LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/release/portal" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$BASE/readyz" >/dev/null

# First, while the server is fresh and nothing else loads it: the front end, as a browser sees
# it. The script measures for about a minute and gives up on a page after BENCH_FRONTEND_PAGE_MS;
# `timeout` bounds the whole. Its report is printed with the other figures at the end.
say "Measuring the front end: first-visit downloads, time to interactive on a slow connection"
FRONTEND_FIGURES="$(BENCH_FRONTEND_TIMEOUT_MS="${BENCH_FRONTEND_PAGE_MS:-60000}" timeout "${BENCH_FRONTEND_TIMEOUT:-900}" \
  node "$ROOT/.ci/bench_frontend.mjs" --base "$BASE" --password "$BENCH_PASSWORD")" \
  || FRONTEND_FIGURES+=$'\n'"FAILED: .ci/bench_frontend.mjs (exit $?)"
# What a page with an island (a run in progress, the readiness checks) downloads: the islands
# bundle itself, JS and WASM, whatever the pages above happened to show.
bundle_files=()
for kind in js wasm; do
  h="$(awk -F': ' -v k="$kind" '$1 == k { print $2 }' "$CARGO_TARGET_DIR/release/hash.txt")"
  bundle_files+=("$ROOT/target/site/pkg/portal.$h.$kind")
done
FRONTEND_FIGURES+=$'\n'"$(node -e '
  const fs = require("fs"), z = require("zlib");
  const rows = process.argv.slice(1).map((f) => {
    const b = fs.readFileSync(f);
    return [f.split(".").pop(), b.length, z.gzipSync(b, { level: 9 }).length,
      z.brotliCompressSync(b, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }).length];
  });
  const kb = (n) => (n / 1000).toFixed(1);
  const sum = (i) => rows.reduce((a, r) => a + r[i], 0);
  for (const r of rows) console.log(`islands bundle ${r[0]}: ${kb(r[1])} kB raw, ${kb(r[2])} kB gzip, ${kb(r[3])} kB brotli`);
  const br = sum(3), gz = sum(2);
  console.log(`${br <= 150000 && gz <= 200000 ? "PASS" : "FAIL"} a page with an island downloads ${kb(br)} kB brotli, ${kb(gz)} kB gzip of JS+WASM (bar: 150 brotli, 200 gzip)`);
' "${bundle_files[@]}")"

css_hash="$(awk -F': ' '$1 == "css" { print $2 }' "$CARGO_TARGET_DIR/release/hash.txt")"
CSS="/pkg/portal.$css_hash.css"


declare -a ROWS
measure() {
  local label="$1" path="$2"; shift 2
  local BASE="${BASE:-http://127.0.0.1:$PORT}"
  wrk -t2 -c"$CONNECTIONS" -d3s "$@" "$BASE$path" >/dev/null # warm-up
  local out
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$BASE$path")"
  local rps p50 p99 non2xx errors
  rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")"
  p50="$(awk '$1 == "50%" { print $2 }' <<<"$out" | to_ms)"
  p99="$(awk '$1 == "99%" { print $2 }' <<<"$out" | to_ms)"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")"
  errors="$(awk '/Socket errors:/ { print $4 $6 $8 $10 }' <<<"$out" | tr -d ',')"
  ROWS+=("$(printf '| %-34s | %9s | %8s | %8s | %s |' "$label" "$rps" "$p50" "$p99" "${non2xx:-0} non-2xx${errors:+, socket errors $errors}")")
}

say "Measuring: $CONNECTIONS connections, $DURATION per target"
measure "home page /" "/"
measure "home page /, gzip" "/" -H "Accept-Encoding: gzip"
measure "static file /favicon.svg (ceiling)" "/favicon.svg"
measure "stylesheet (precompressed br)" "$CSS" -H "Accept-Encoding: br"

# Sign-ins: a form post as the browser sends it (302 on success). Each one is a full argon2id
# verification, a new session and an audit row. Each request names its own client address
# (10.x.y.z, a different one each time, per wrk process), so the per-address limiter lets every
# one through and the figures are real sign-ins; a 429 would show in the last column.
cat >"$TMP/sign-in.lua" <<LUA
wrk.method = "POST"
wrk.body = "email=manager%40demo-pensions.example&password=$(printf '%s' "$BENCH_PASSWORD" | sed 's/ /+/g')&next="
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
wrk.headers["Accept"] = "text/html"
local n = 0
request = function()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format()
end
LUA
SIGN_IN_DURATION="${BENCH_SIGN_IN_DURATION:-10s}"
signin_out="$(wrk -t1 -c8 -d"$SIGN_IN_DURATION" --latency -s "$TMP/sign-in.lua" "$BASE/api/auth/sign-in")"
ROWS+=("$(printf '| %-34s | %9s | %8s | %8s | %s |' "sign-in (8 connections)" \
  "$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' <<<"$signin_out")" \
  "$(awk '$1 == "50%" { print $2 }' <<<"$signin_out" | to_ms)" \
  "$(awk '$1 == "99%" { print $2 }' <<<"$signin_out" | to_ms)" \
  "$(awk '/Non-2xx or 3xx responses:/ { n = $5 } END { print n + 0 }' <<<"$signin_out") non-2xx/3xx")")
# The home page while a sign-in burst runs beside it.
wrk -t1 -c8 -d"$DURATION" -s "$TMP/sign-in.lua" "$BASE/api/auth/sign-in" >/dev/null &
burst=$!
sleep 1
measure "home page / during a sign-in burst" "/"
wait "$burst"

kill "$SERVER_PID" 2>/dev/null
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""

# The OAT submission journey (32 users, each a service manager of an organisation with 50
# schemes) and the overview page with 50 schemes, on SQLite and, where it runs, on Postgres.
journey_bench() {
  local label="$1" db_url="$2" port=$((PORT + 1))
  DATABASE_URL="$db_url" RUST_LOG=warn "$TOOLS" bench-seed \
    --organisations "${BENCH_ORGANISATIONS:-640}" --schemes 50 --password "$BENCH_PASSWORD" >/dev/null
  # The bench organisations have no live find endpoint: the readiness checks (the connectivity
  # engine's own figures are below) would stop every journey at "check your answers".
  DATABASE_URL="$db_url" PORTAL_LISTEN="127.0.0.1:$port" PORTAL_SIGN_IN_BURST=1000 \
    PORTAL_READINESS_CHECKS=false LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/portal" >"$TMP/journey.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  ROWS+=("$(python3 "$ROOT/.ci/bench_journey.py" --port "$port" --users 32 --organisations "${BENCH_ORGANISATIONS:-640}" \
    --seconds "${BENCH_JOURNEY_SECONDS:-30}" \
    --password "$BENCH_PASSWORD" --label "($label)")")
  # The overview with 50 schemes, signed in as one of the bench managers.
  local cookie
  cookie="$(bench_cookie "$port" bench-manager-2@bench.example "$BENCH_PASSWORD")"
  BASE="http://127.0.0.1:$port" measure "overview, 50 schemes ($label)" "/organisation" -H "Cookie: $cookie"
  # The same page at a quarter of the load: what one person sees while a few others work.
  CONNECTIONS=8 BASE="http://127.0.0.1:$port" measure "overview, 50 schemes, 8 conns ($label)" \
    "/organisation" -H "Cookie: $cookie"
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
say "Measuring the OAT journey and the overview"
journey_bench SQLite "sqlite://$TMP/journey.db"
PG_URL="${PORTAL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if command -v psql >/dev/null && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS portal_bench" >/dev/null 2>&1 &&
  psql "$PG_URL" -qc "CREATE DATABASE portal_bench" >/dev/null 2>&1; then
  PG_OK=1
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS portal_bench_queue WITH (FORCE)" >/dev/null 2>&1 || true
  journey_bench Postgres "${PG_URL%/*}/portal_bench"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS portal_bench WITH (FORCE)" >/dev/null 2>&1
else
  echo "SKIPPED: the journey on Postgres (no Postgres at $PG_URL, or no psql)"
fi

# The staff queue with 100,000 requests over 10,000 organisations (10 schemes each, one request
# per scheme), signed in as programme staff: the first page, a status filter and a name search.
queue_bench() {
  local label="$1" db_url="$2" port=$((PORT + 2))
  local orgs="${BENCH_QUEUE_ORGANISATIONS:-10000}"
  say "Seeding $orgs organisations with 10 schemes and requests each ($label)"
  DATABASE_URL="$db_url" RUST_LOG=warn "$TOOLS" bench-seed \
    --organisations "$orgs" --schemes 10 --requests --password "$BENCH_PASSWORD" >/dev/null
  DATABASE_URL="$db_url" PORTAL_LISTEN="127.0.0.1:$port" PORTAL_SIGN_IN_BURST=1000 \
    LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn \
    "$CARGO_TARGET_DIR/release/portal" >"$TMP/queue.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  local cookie
  cookie="$(bench_cookie "$port" bench-staff@bench.example "$BENCH_PASSWORD")"
  BASE="http://127.0.0.1:$port" measure "queue, 100k requests ($label)" "/staff" -H "Cookie: $cookie"
  BASE="http://127.0.0.1:$port" measure "queue, status filter ($label)" "/staff?status=failed" -H "Cookie: $cookie"
  BASE="http://127.0.0.1:$port" measure "queue, name search ($label)" "/staff?q=pensions+77" -H "Cookie: $cookie"
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
say "Measuring the staff queue"
queue_bench SQLite "sqlite://$TMP/queue.db"
if [ -n "${PG_OK:-}" ] && psql "$PG_URL" -qc "CREATE DATABASE portal_bench_queue" >/dev/null 2>&1; then
  queue_bench Postgres "${PG_URL%/*}/portal_bench_queue"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS portal_bench_queue WITH (FORCE)" >/dev/null 2>&1
else
  echo "SKIPPED: the queue on Postgres"
fi

say "Measuring the connectivity test engine (200 attempts at once against the simulator)"
# RS256 is the default; ES256 is offered, and its signatures cost a small fraction of RS256's.
CONNECTIVITY_FIGURES=""
for alg in RS256 ES256; do
  figures="$(RUST_LOG=warn "$TOOLS" bench-connectivity --runs 1000 --concurrency 200 --alg "$alg" 2>&1)" \
    || figures="FAILED: bench-connectivity --alg $alg: $figures"
  CONNECTIVITY_FIGURES+="$figures"$'\n'
done

echo
echo "Release build, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION on 127.0.0.1 ($(date -u +%Y-%m-%dT%H:%MZ))"
echo "| target                             |  req/s    | p50 ms   | p99 ms   | errors |"
echo "|------------------------------------|-----------|----------|----------|--------|"
printf '%s\n' "${ROWS[@]}"
echo
echo "$CONNECTIVITY_FIGURES"
echo "$FRONTEND_FIGURES"
