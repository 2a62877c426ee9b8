#!/usr/bin/env bash
# Every check and test, in order: formatting, lints, unit and integration tests on SQLite, the
# integration tests again on Postgres, then the browser suite with JavaScript on and off.
# Runs every step even when one fails, and ends with one line: "summary: N passed, M failed".
set -uo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"

PG_URL="${PORTAL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
LOG_DIR="$CARGO_TARGET_DIR/test-logs"
mkdir -p "$LOG_DIR"
passed=0
failed=0
failed_steps=()

# cargo test prints "test result: ok. 12 passed; 0 failed; ..." per test binary: add them up.
count_cargo() {
  local p f
  read -r p f < <(awk '/^test result:/ {
      for (i = 2; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) }
    } END { print p + 0, f + 0 }' "$1")
  passed=$((passed + p))
  failed=$((failed + f))
}

# A step that is not itself a test run (fmt, clippy, build): counts as one check.
check_step() {
  local name="$1"
  shift
  say "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_steps+=("$name")
  fi
}

cargo_test_step() {
  local name="$1" log="$LOG_DIR/$2.log"
  shift 2
  say "$name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  count_cargo "$log"
  if [ "$status" != 0 ]; then
    failed_steps+=("$name")
    # A build failure runs no test: count the step itself as a failure.
    grep -qE '^test result:' "$log" || failed=$((failed + 1))
  fi
}

postgres_reachable() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -d "$PG_URL"
  else
    local hostport="${PG_URL#*@}"
    hostport="${hostport%%/*}"
    (exec 3<>"/dev/tcp/${hostport%%:*}/${hostport##*:}") 2>/dev/null
  fi
}

start_local_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    note "starting the local PostgreSQL $version cluster"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do postgres_reachable && return 0; sleep 1; done
  fi
  return 1
}

drop_leftover_test_databases() {
  command -v psql >/dev/null || return 0
  psql "$PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'portal\\_test\\_%' OR datname LIKE 'portal\\_e2e\\_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1; done
}

say "Setting up tools"
ensure_build_tools
ensure_chromium
ensure_jose

check_step "cargo fmt --check" cargo fmt --all --check
check_step "Build (cargo leptos build, dev profile; portal-tools)" build_dev_with_tools
check_step "cargo clippy (server side: ${SERVER_PACKAGES[*]}, ssr)" dev_cargo clippy "${SERVER_PACKAGES[@]}" --features app/ssr --all-targets -- -D warnings
check_step "cargo clippy (browser bundle, wasm32)" dev_cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

export LEPTOS_SITE_ROOT="$ROOT/target/site"
cargo_test_step "Unit and integration tests on SQLite" sqlite \
  env PORTAL_TEST_DATABASE=sqlite RUSTFLAGS="--cfg erase_components" cargo test "${SERVER_PACKAGES[@]}" --features app/ssr

require_pg=""
if [ -n "${PORTAL_REQUIRE_POSTGRES:-}" ] || [ "${CI:-}" = true ]; then require_pg=1; fi
if [ -n "$require_pg" ] && ! postgres_reachable; then start_local_postgres; fi
if postgres_reachable; then
  drop_leftover_test_databases
  cargo_test_step "Integration tests on Postgres ($PG_URL)" postgres \
    env PORTAL_TEST_DATABASE="$PG_URL" RUSTFLAGS="--cfg erase_components" cargo test -p server --test api \
      -p portal-tools --test tools
elif [ -n "$require_pg" ]; then
  say "Postgres at $PG_URL cannot be reached, and this run requires it"
  failed=$((failed + 1))
  failed_steps+=("Postgres required but unreachable")
else
  say "SKIPPED: integration tests on Postgres (nothing answers at $PG_URL; set PORTAL_TEST_POSTGRES_URL)"
fi

# One run of the Playwright suite against a fresh database; adds its counts to the totals.
run_e2e() {
  local label="$1" db_url="$2"
  say "Browser tests on $label (Playwright in Chromium, JavaScript on and off)"
  export E2E_DATABASE_URL="$db_url"
  rm -rf end2end/test-results
  npx playwright test -c end2end/playwright.config.ts
  local status=$?
  local results=end2end/test-results/results.json
  if [ -f "$results" ]; then
    local p f
    read -r p f < <(node -e '
      const r = require(process.argv[1]).stats;
      console.log((r.expected + r.flaky) + " " + r.unexpected);' "$ROOT/$results")
    passed=$((passed + p))
    failed=$((failed + f))
  fi
  if [ "$status" != 0 ]; then
    failed_steps+=("Browser tests on $label")
    [ -f "$results" ] || failed=$((failed + 1))
  fi
}

PORTAL_BIN="$(portal_bin)"
export PORTAL_BIN
E2E_TMP="$(mktemp -d)"
run_e2e SQLite "sqlite://$E2E_TMP/e2e.db"
rm -rf "$E2E_TMP"
if postgres_reachable && command -v psql >/dev/null; then
  e2e_db="portal_e2e_$$"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $e2e_db" >/dev/null 2>&1
  if psql "$PG_URL" -qc "CREATE DATABASE $e2e_db" >/dev/null; then
    run_e2e Postgres "${PG_URL%/*}/$e2e_db"
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $e2e_db WITH (FORCE)" >/dev/null 2>&1
  else
    failed=$((failed + 1))
    failed_steps+=("could not create the browser-test database on Postgres")
  fi
elif postgres_reachable; then
  say "SKIPPED: browser tests on Postgres (psql is not installed to create their database)"
fi

echo
if [ ${#failed_steps[@]} -gt 0 ]; then
  printf 'failed steps: %s\n' "$(IFS=';'; echo "${failed_steps[*]}")"
fi
echo "summary: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ ${#failed_steps[@]} = 0 ]
