# shellcheck shell=bash
# Shared bootstrap for scripts/test and scripts/run. Source it, don't execute it.
#
# Every ensure_* function is idempotent: it checks first, installs only what is
# missing, and prints exactly one line (to stderr) saying what it did or skipped.
# They work under `set -euo pipefail`, as root, with no stdin and CI=true.
# Nothing here uses sudo: installs through apt need root and fail clearly otherwise.

GTX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GTX_ROOT

# Pinned tool versions (see shared toolchain notes).
GTX_CARGO_LEPTOS_VERSION=0.3.10
# Must equal the `wasm-bindgen` crate version in Cargo.lock: cargo-leptos does not
# check it, and a mismatch only breaks at run time in the browser.
GTX_WASM_BINDGEN_VERSION=0.2.130
GTX_WASM_TARGET=wasm32-unknown-unknown

# cargo-installed tools live here; make sure they are found even in a bare CI env.
case ":${PATH}:" in
  *":${CARGO_HOME:-${HOME}/.cargo}/bin:"*) ;;
  *) PATH="${CARGO_HOME:-${HOME}/.cargo}/bin:${PATH}" ;;
esac
export PATH

gtx_log() { printf '%s\n' "$*" >&2; }
gtx_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------
# Exit hooks: several cleanups can be registered; they run once, in reverse order.
# ---------------------------------------------------------------------------
# GTX_EXIT_STATUS holds the script's exit status while the hooks run.
GTX_EXIT_HOOKS=()
# shellcheck disable=SC2034 # read by the scripts' own hooks
GTX_EXIT_STATUS=0
gtx_add_exit_hook() { GTX_EXIT_HOOKS+=("$1"); }
gtx_run_exit_hooks() {
  # shellcheck disable=SC2034 # read by the scripts' own hooks
  GTX_EXIT_STATUS=$?
  local i
  for ((i = ${#GTX_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
    eval "${GTX_EXIT_HOOKS[i]}" || true
  done
  GTX_EXIT_HOOKS=()
}
trap gtx_run_exit_hooks EXIT
# Make Ctrl-C / SIGTERM go through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# apt helpers
# ---------------------------------------------------------------------------
GTX_APT_UPDATED=0
gtx_require_root() {
  if [[ "$(id -u)" -ne 0 ]]; then
    gtx_die "$1 is missing and installing it needs apt-get as root (run: apt-get update && apt-get install -y $2)"
  fi
}
# apt-get that waits (up to 10 min) for another apt/dpkg holding the lock instead of failing.
gtx_apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" </dev/null
}
gtx_apt_install() {
  if [[ "${GTX_APT_UPDATED}" -eq 0 ]]; then
    # `update` takes the lists lock, which DPkg::Lock::Timeout may not cover: retry.
    local i
    for ((i = 1; ; i++)); do
      gtx_apt_get update >&2 && break
      ((i < 60)) || gtx_die "apt-get update kept failing"
      gtx_log "apt-get update failed (lock held by another apt?); retrying in 10s"
      sleep 10
    done
    GTX_APT_UPDATED=1
  fi
  gtx_apt_get install --no-install-recommends "$@" >&2
}

# ---------------------------------------------------------------------------
# Rust tools
# ---------------------------------------------------------------------------
ensure_wasm_target() {
  # Run in the repo so rust-toolchain.toml selects the pinned toolchain.
  if (cd "${GTX_ROOT}" && rustup target list --installed) | grep -qx "${GTX_WASM_TARGET}"; then
    gtx_log "wasm target: ${GTX_WASM_TARGET} already installed (skipped)"
  else
    (cd "${GTX_ROOT}" && rustup target add "${GTX_WASM_TARGET}") >&2
    gtx_log "wasm target: installed ${GTX_WASM_TARGET}"
  fi
}

ensure_cargo_leptos() {
  local have=""
  have="$(cargo leptos --version 2>/dev/null || true)"
  if [[ "${have}" == *" ${GTX_CARGO_LEPTOS_VERSION}"* ]]; then
    gtx_log "cargo-leptos: ${GTX_CARGO_LEPTOS_VERSION} already installed (skipped)"
    return 0
  fi
  local start=${SECONDS}
  # --debug: it only orchestrates builds, and a debug build installs much faster.
  # --features no_downloads: a missing tool is a clear error, never a download attempt.
  (cd "${GTX_ROOT}" && cargo install cargo-leptos --version "${GTX_CARGO_LEPTOS_VERSION}" \
    --locked --debug --features no_downloads) >&2
  gtx_log "cargo-leptos: installed ${GTX_CARGO_LEPTOS_VERSION} (was: ${have:-none}) in $((SECONDS - start))s"
}

ensure_wasm_bindgen() {
  local locked
  locked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' \
    "${GTX_ROOT}/Cargo.lock" 2>/dev/null || true)"
  if [[ -n "${locked}" && "${locked}" != "${GTX_WASM_BINDGEN_VERSION}" ]]; then
    gtx_die "Cargo.lock has wasm-bindgen ${locked} but scripts/lib.sh pins the CLI to ${GTX_WASM_BINDGEN_VERSION}; keep them equal"
  fi
  local have=""
  have="$(wasm-bindgen --version 2>/dev/null || true)"
  if [[ "${have}" == "wasm-bindgen ${GTX_WASM_BINDGEN_VERSION}"* ]]; then
    gtx_log "wasm-bindgen-cli: ${GTX_WASM_BINDGEN_VERSION} already installed (skipped)"
    return 0
  fi
  local start=${SECONDS}
  # No --locked: its lock file wants a webpki-roots version the registry lacks.
  (cd "${GTX_ROOT}" && cargo install wasm-bindgen-cli --version "${GTX_WASM_BINDGEN_VERSION}") >&2
  gtx_log "wasm-bindgen-cli: installed ${GTX_WASM_BINDGEN_VERSION} (was: ${have:-none}) in $((SECONDS - start))s"
}

# ---------------------------------------------------------------------------
# Chromium (Debian package; Playwright never downloads a browser here)
# ---------------------------------------------------------------------------
GTX_CHROMIUM=/usr/bin/chromium
ensure_chromium() {
  if [[ -x "${GTX_CHROMIUM}" ]]; then
    gtx_log "chromium: ${GTX_CHROMIUM} present (skipped)"
    return 0
  fi
  gtx_require_root chromium chromium
  local start=${SECONDS}
  gtx_apt_install chromium
  [[ -x "${GTX_CHROMIUM}" ]] || gtx_die "apt installed chromium but ${GTX_CHROMIUM} is missing"
  gtx_log "chromium: installed with apt in $((SECONDS - start))s"
}

# ---------------------------------------------------------------------------
# PostgreSQL for the Rust tests
#
# ensure_postgres installs the server if needed, starts the first cluster if it
# is down, creates role gtx / database gtx_test and exports GTX_TEST_DATABASE_URL.
# If it started the cluster it also registers an exit hook that stops it again;
# call release_postgres to stop it earlier (e.g. right after the tests need it).
# A GTX_TEST_DATABASE_URL already set by the caller is used as is.
# ---------------------------------------------------------------------------
GTX_PG_STARTED=""
gtx_psql_admin() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "${GTX_PG_PORT}" -d postgres -tA "$@" </dev/null)
}

ensure_postgres() {
  if [[ -n "${GTX_TEST_DATABASE_URL:-}" && "${GTX_PG_MANAGED:-0}" != 1 ]]; then
    gtx_log "postgres: using GTX_TEST_DATABASE_URL from the environment (skipped)"
    return 0
  fi
  local did=()
  local start=${SECONDS}

  if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    gtx_require_root postgresql postgresql
    gtx_apt_install postgresql
    did+=("installed postgresql")
  fi

  local line ver name port status
  line="$(pg_lsclusters --no-header 2>/dev/null | head -n1 || true)"
  if [[ -z "${line}" ]]; then
    gtx_require_root "a PostgreSQL cluster" postgresql
    ver="$(basename "$(dirname "$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n1)")")")"
    pg_createcluster "${ver}" main >&2
    did+=("created cluster ${ver}/main")
    line="$(pg_lsclusters --no-header | head -n1)"
  fi
  read -r ver name port status _ <<<"${line}"
  GTX_PG_PORT="${port}"

  if [[ "${status}" != online* ]]; then
    (cd / && pg_ctlcluster "${ver}" "${name}" start) >&2
    GTX_PG_STARTED="${ver} ${name}"
    gtx_add_exit_hook release_postgres
    did+=("started cluster ${ver}/${name}")
  fi

  local i
  for ((i = 0; i < 60; i++)); do
    pg_isready -q -h 127.0.0.1 -p "${port}" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "${port}" || gtx_die "postgres ${ver}/${name} did not become ready on 127.0.0.1:${port}"

  if [[ "$(gtx_psql_admin -c "SELECT rolcanlogin AND rolcreatedb FROM pg_roles WHERE rolname = 'gtx'")" != t ]]; then
    if [[ -n "$(gtx_psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'gtx'")" ]]; then
      gtx_psql_admin -c "ALTER ROLE gtx LOGIN PASSWORD 'gtx' CREATEDB"
    else
      gtx_psql_admin -c "CREATE ROLE gtx LOGIN PASSWORD 'gtx' CREATEDB"
    fi
    did+=("created role gtx")
  fi
  if [[ -z "$(gtx_psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'gtx_test'")" ]]; then
    gtx_psql_admin -c "CREATE DATABASE gtx_test OWNER gtx"
    did+=("created database gtx_test")
  fi

  GTX_TEST_DATABASE_URL="postgres://gtx:gtx@127.0.0.1:${port}/gtx_test"
  export GTX_TEST_DATABASE_URL
  GTX_PG_MANAGED=1
  # Prove the URL works (password auth over TCP), not just the admin socket.
  PGPASSWORD=gtx PGCONNECT_TIMEOUT=10 psql -X -q -tA -h 127.0.0.1 -p "${port}" -U gtx -d gtx_test \
    -c 'SELECT 1' </dev/null >/dev/null ||
    gtx_die "cannot connect as gtx to ${GTX_TEST_DATABASE_URL//:gtx@/:***@}"

  if [[ ${#did[@]} -eq 0 ]]; then
    gtx_log "postgres: cluster ${ver}/${name} online, role gtx and database gtx_test exist (skipped)"
  else
    local summary
    summary="$(printf '%s, ' "${did[@]}")"
    gtx_log "postgres: ${summary%, } in $((SECONDS - start))s; GTX_TEST_DATABASE_URL on port ${port}"
  fi
}

# Stop the cluster if (and only if) ensure_postgres started it. Safe to call twice.
release_postgres() {
  if [[ -n "${GTX_PG_STARTED}" ]]; then
    local ver name
    read -r ver name <<<"${GTX_PG_STARTED}"
    (cd / && pg_ctlcluster "${ver}" "${name}" stop) >&2 || true
    GTX_PG_STARTED=""
    gtx_log "postgres: stopped cluster ${ver}/${name} again (it was down before this run)"
  fi
}

# ---------------------------------------------------------------------------
# schemathesis (PyPI) in a virtualenv under target/, for the key API's OpenAPI check
# ---------------------------------------------------------------------------
GTX_SCHEMATHESIS_VERSION=4.32.5
GTX_VENV="${GTX_ROOT}/target/venv"
ensure_schemathesis() {
  local have=""
  have="$("${GTX_VENV}/bin/st" --version 2>/dev/null || true)"
  if [[ "${have}" == *" ${GTX_SCHEMATHESIS_VERSION}" ]]; then
    gtx_log "schemathesis: ${GTX_SCHEMATHESIS_VERSION} already installed in target/venv (skipped)"
    return 0
  fi
  command -v python3 >/dev/null || gtx_die "python3 is not installed (needed for schemathesis)"
  local start=${SECONDS}
  [[ -x "${GTX_VENV}/bin/pip" ]] || python3 -m venv "${GTX_VENV}" >&2
  "${GTX_VENV}/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==${GTX_SCHEMATHESIS_VERSION}" </dev/null >&2
  gtx_log "schemathesis: installed ${GTX_SCHEMATHESIS_VERSION} into target/venv in $((SECONDS - start))s (was: ${have:-none})"
}

# The reference implementation of Standard Webhooks (PyPI), for checking the signatures
# of real deliveries (scripts/webhook_receiver.py), in the same virtualenv.
GTX_STANDARDWEBHOOKS_VERSION=1.1.0
ensure_standardwebhooks() {
  local have=""
  have="$("${GTX_VENV}/bin/python" -c 'import importlib.metadata as m; print(m.version("standardwebhooks"))' 2>/dev/null || true)"
  if [[ "${have}" == "${GTX_STANDARDWEBHOOKS_VERSION}" ]]; then
    gtx_log "standardwebhooks: ${have} already installed in target/venv (skipped)"
    return 0
  fi
  command -v python3 >/dev/null || gtx_die "python3 is not installed (needed for standardwebhooks)"
  [[ -x "${GTX_VENV}/bin/pip" ]] || python3 -m venv "${GTX_VENV}" >&2
  "${GTX_VENV}/bin/pip" install --quiet --disable-pip-version-check \
    "standardwebhooks==${GTX_STANDARDWEBHOOKS_VERSION}" </dev/null >&2
  gtx_log "standardwebhooks: installed ${GTX_STANDARDWEBHOOKS_VERSION} into target/venv (was: ${have:-none})"
}

# ---------------------------------------------------------------------------
# npm packages in end2end/ (Playwright, axe-core, binaryen's wasm-opt)
# ---------------------------------------------------------------------------
GTX_E2E_DIR="${GTX_ROOT}/end2end"
ensure_node_modules() {
  command -v node >/dev/null || gtx_die "node is not installed (needed for Playwright and wasm-opt)"
  command -v npm >/dev/null || gtx_die "npm is not installed"
  local stamp_file="${GTX_E2E_DIR}/node_modules/.gtx-install-stamp"
  local want
  want="$(node --version) $(cat "${GTX_E2E_DIR}/package.json" "${GTX_E2E_DIR}/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [[ -f "${stamp_file}" && "$(cat "${stamp_file}")" == "${want}" ]]; then
    gtx_log "npm: end2end/node_modules matches package-lock.json (skipped)"
    return 0
  fi
  local start=${SECONDS}
  # Never download Playwright's own browsers: we use Debian's chromium.
  (cd "${GTX_E2E_DIR}" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error </dev/null) >&2
  printf '%s\n' "${want}" >"${stamp_file}"
  gtx_log "npm: installed end2end/node_modules with npm ci in $((SECONDS - start))s"
}

# Release builds always run wasm-opt; Debian's binaryen (108) produces WASM that
# fails in the browser, so put npm's binaryen (pinned in end2end/package.json) first.
use_npm_wasm_opt() {
  local bin="${GTX_E2E_DIR}/node_modules/.bin"
  [[ -x "${bin}/wasm-opt" ]] || gtx_die "${bin}/wasm-opt missing; run ensure_node_modules first"
  PATH="${bin}:${PATH}"
  export PATH
  gtx_log "wasm-opt: using npm binaryen ($("${bin}/wasm-opt" --version 2>/dev/null | head -n1))"
}

# ---------------------------------------------------------------------------
# Build sharing with cargo-leptos
#
# `cargo leptos build` (debug) runs cargo with these variables (Project::to_envs in
# cargo-leptos 0.3.10 src/config/project.rs, our [[workspace.metadata.leptos]]).
# RUSTFLAGS is part of every crate's fingerprint, and leptos/leptos_config read
# LEPTOS_OUTPUT_NAME at compile time (option_env!), so a plain `cargo test` or
# `cargo clippy` without them builds a second copy of every dependency in target/
# (and rebuilds the leptos crates when switching). Running the host cargo commands
# through leptos_env makes them share artefacts with `cargo leptos build`.
# Do NOT run cargo-leptos itself through this: it appends `--cfg erase_components`
# to the RUSTFLAGS it finds, which would give a different flag string.
# If cargo-leptos is upgraded or the leptos metadata changes, re-check with
# `cargo leptos build -vv`.
# ---------------------------------------------------------------------------
leptos_env() { leptos_vars false "$@"; }

# leptos_vars JS_MINIFY cmd...: runs cmd with cargo-leptos' variables for this project.
# Debug and release differ only in LEPTOS_JS_MINIFY: `always-erase-components` gives
# both the same RUSTFLAGS.
leptos_vars() {
  local minify="$1"
  shift
  env \
    LEPTOS_OUTPUT_NAME=gtx-keys \
    LEPTOS_SITE_ROOT=target/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=127.0.0.1:3000 \
    LEPTOS_RELOAD_PORT=3001 \
    LEPTOS_LIB_DIR=app \
    LEPTOS_BIN_DIR=server \
    LEPTOS_JS_MINIFY="${minify}" \
    LEPTOS_HASH_FILES=true \
    LEPTOS_HASH_FILE_NAME=../site/hash.txt \
    RUSTFLAGS="${RUSTFLAGS:+${RUSTFLAGS} }--cfg erase_components" \
    "$@"
}

# ---------------------------------------------------------------------------
# The release site, built once and shared
#
# `./scripts/run`, `bench/run` and `bench/size` all build through build_release_site:
# one `cargo leptos build --release` (server binary + optimised WASM, precompressed by
# server/build.rs), skipped when nothing it is built from changed since the last
# successful build. The fingerprint covers the content of the files it compiles (tracked
# or new, under the paths below), the toolchain and cargo-leptos, and RUSTFLAGS; it is
# written to target/site/.inputs only after a build succeeds.
# ---------------------------------------------------------------------------
GTX_BUILD_INPUTS=(Cargo.toml Cargo.lock rust-toolchain.toml .cargo app src server style public migrations)

release_site_fingerprint() {
  (
    cd "${GTX_ROOT}"
    rustc -V
    cargo leptos --version
    printf 'RUSTFLAGS=%s\n' "${RUSTFLAGS:-}"
    if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      # Not a git checkout: nothing to compare, so always build.
      date +%s%N
      exit 0
    fi
    # The content of every tracked or new file, whether committed or not: committing
    # what was built changes nothing here.
    git ls-files -z --cached --others --exclude-standard -- "${GTX_BUILD_INPUTS[@]}" |
      sort -zu | xargs -0 -r sha256sum -- 2>/dev/null || true
  ) | sha256sum | cut -d' ' -f1
}

# The variables `cargo leptos build --release` gives its server build (as leptos_env
# does for debug builds; erase_components too, as `always-erase-components` is set). A
# release cargo command run through this reuses that build's artefacts, e.g.
# bench/run's gtx-keys-bench.
leptos_release_env() { leptos_vars true "$@"; }

build_release_site() {
  local stamp="${GTX_ROOT}/target/site/.inputs" want start
  want="$(release_site_fingerprint)"
  if [[ -x "${GTX_ROOT}/target/release/gtx-keys" && -f "${GTX_ROOT}/target/site/hash.txt" &&
    -f "${stamp}" && "$(cat "${stamp}")" == "${want}" ]]; then
    gtx_log "==> release site is up to date (nothing it is built from changed)"
    return 0
  fi
  rm -f "${stamp}"
  start=${SECONDS}
  (cd "${GTX_ROOT}" && cargo leptos build --release)
  printf '%s\n' "${want}" >"${stamp}"
  gtx_log "==> cargo leptos build --release ($((SECONDS - start))s)"
}
