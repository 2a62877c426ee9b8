#!/usr/bin/env bash
# The portal's developer commands. `make run`, `make test` and `make bench` call this.
#   .ci/dev.sh run     set up what is missing, build, serve on SQLite in demo mode at 127.0.0.1:3000
#   .ci/dev.sh test    set up what is missing, run every check and test, print one summary line
#   .ci/dev.sh bench   release build, then load figures for the home page and a static file
#   .ci/dev.sh release the release build as production runs it (binary and precompressed site)
#   .ci/dev.sh fuzz    the hostile-input tests at 200 mutations each, with a new seed (FUZZ_SEED=n repeats one)
set -uo pipefail
# shellcheck source=.ci/lib.sh
source "$(dirname "$0")/lib.sh"

case "${1:-}" in
  run)
    set -e
    ensure_build_tools
    build_dev
    mkdir -p data
    export DATABASE_URL="${DATABASE_URL:-sqlite://data/portal.db}"
    export PORTAL_DEMO="${PORTAL_DEMO:-true}"
    export LEPTOS_SITE_ROOT="$ROOT/target/site"
    say "Starting the portal (Ctrl-C to stop)"
    exec "$(portal_bin)" "${@:2}"
    ;;
  test)
    exec bash "$ROOT/.ci/test.sh" "${@:2}"
    ;;
  bench)
    exec bash "$ROOT/.ci/bench.sh" "${@:2}"
    ;;
  release)
    set -e
    ensure_build_tools
    build_release
    say "Built $CARGO_TARGET_DIR/release/portal and the site in $LEPTOS_SITE_ROOT"
    ;;
  fuzz)
    set -e
    ensure_build_tools
    build_dev
    export LEPTOS_SITE_ROOT="$ROOT/target/site"
    seed="${FUZZ_SEED:-$(date +%s)}"
    say "Hostile input at 200 mutations per server function and caller, seed $seed (SQLite)"
    PORTAL_TEST_DATABASE=sqlite PORTAL_FUZZ_CASES=200 PORTAL_FUZZ_SEED="$seed" \
      dev_cargo test -p server --features app/ssr --test api -- fuzz --nocapture
    ;;
  *)
    echo "usage: $0 run|test|bench|release|fuzz" >&2
    exit 2
    ;;
esac
