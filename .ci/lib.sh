# Shared set-up for the portal's scripts: one environment, and idempotent installers for every tool
# the build needs. Sourced by .ci/dev.sh; not meant to be run on its own.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# cargo-leptos compiles dev builds with LEPTOS_OUTPUT_NAME=portal and RUSTFLAGS="--cfg
# erase_components". Plain cargo commands (tests, clippy) go through `dev_cargo`, which sets the
# same two, so everything shares one set of build artefacts instead of rebuilding leptos for each.
# RUSTFLAGS must not be exported: cargo-leptos would append its flag to ours and so differ again.
export LEPTOS_OUTPUT_NAME=portal
unset RUSTFLAGS
# The built site is this checkout's, whatever the calling shell had: cargo-leptos writes it
# where LEPTOS_SITE_ROOT says, and the tests and the portal read it from there.
export LEPTOS_SITE_ROOT="$ROOT/target/site"
dev_cargo() { RUSTFLAGS="--cfg erase_components" cargo "$@"; }
# The server-side packages, for clippy and the tests: the Leptos app (with its ssr feature), the
# portal binary, and beside it the JWS glue, the find-endpoint simulator and portal-tools.
SERVER_PACKAGES=(-p app -p server -p jose -p simulator -p portal-tools)

CARGO_LEPTOS_VERSION=0.3.10

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "Rust is not installed: install it with rustup (https://rustup.rs), then run this again." >&2
    exit 1
  fi
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (the first time takes about 15 minutes)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want
  want="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    say "Installing wasm-bindgen-cli $want (to match Cargo.lock)"
    # Without --locked: its lock file names a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_npm_packages() {
  if ! command -v npm >/dev/null; then
    echo "Node.js and npm are needed (for Sass, wasm-opt and Playwright): install them, then run this again." >&2
    exit 1
  fi
  # npm ci only when package-lock.json changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages (govuk-frontend, sass, binaryen, Playwright)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
}

ensure_chromium() {
  if [ -z "${CHROMIUM_PATH:-}" ]; then
    CHROMIUM_PATH="$(command -v chromium || true)"
  fi
  if [ -z "$CHROMIUM_PATH" ]; then
    say "Installing Debian's Chromium for the browser tests"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    CHROMIUM_PATH="$(command -v chromium)"
  fi
  export CHROMIUM_PATH
}

# The command that checks a run's signed evidence (docs/operations.md) is run by the tests:
# Debian's jose, with curl to fetch the portal's keys.
ensure_jose() {
  if ! command -v jose >/dev/null || ! command -v curl >/dev/null; then
    say "Installing Debian's jose and curl (the tests check signed evidence with them)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jose curl >/dev/null
  fi
}

ensure_build_tools() {
  ensure_rust
  ensure_npm_packages
  ensure_cargo_leptos
  ensure_wasm_bindgen
}

# Builds the site (CSS, JS, WASM into target/site) and the server binary, dev profile.
build_dev() {
  say "Building the portal (dev profile)"
  cargo leptos build
}

# The same, and portal-tools (the find-endpoint simulator and the bench tools), which cargo-leptos
# does not build and the portal does not need: what make test builds.
build_dev_with_tools() {
  build_dev && dev_cargo build -p portal-tools
}

# The release build with precompressed assets, as `make bench` and production use it. cargo-leptos
# writes its .gz files at a fast level (the stylesheet came to 20.5 kB instead of 13.7); they are
# written once per build and read on every visit, so they are made again at the best level.
build_release() {
  say "Building the release profile (precompressed assets)"
  cargo leptos build --release --precompress
  local f
  for f in "$LEPTOS_SITE_ROOT"/pkg/*.css "$LEPTOS_SITE_ROOT"/pkg/*.js "$LEPTOS_SITE_ROOT"/pkg/*.wasm; do
    [ -f "$f" ] && gzip -9 -n -c "$f" >"$f.gz"
  done
}

# portal-tools, release profile, as make bench runs it. Built the way cargo-leptos builds the
# release server (no extra RUSTFLAGS), so the two share their dependencies' artefacts.
build_release_tools() {
  say "Building portal-tools (release profile)"
  cargo build --release -p portal-tools
}

# wrk prints latencies as 812.00us, 1.23ms or 1.01s: convert to milliseconds.
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'; }

# Signs in on a portal at 127.0.0.1:PORT as a form post would and prints the session cookie
# (name=value) for curl or wrk: bench_cookie PORT EMAIL PASSWORD
bench_cookie() {
  curl -s -o /dev/null -D - -H 'Sec-Fetch-Site: same-origin' -H 'Accept: text/html' \
    --data-urlencode "email=$2" --data-urlencode "password=$3" --data-urlencode 'next=' \
    "http://127.0.0.1:$1/api/auth/sign-in" | awk -F'[ ;]' 'tolower($1) == "set-cookie:" { print $2 }' | tail -n 1
}

portal_bin() { echo "$CARGO_TARGET_DIR/debug/portal"; }
tools_bin() { echo "$CARGO_TARGET_DIR/$1/portal-tools"; }
