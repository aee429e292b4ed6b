#!/usr/bin/env bash
# Make sure the binaries of the services the tests start are on this machine:
#   Mosquitto (the broker) and PostgreSQL (initdb, pg_ctl), and Chromium for the console's
#   browser tests (tests/browser: skipped without it only when not root), node and npm for
#   the Timescale-mode test.
# The tests start their own instances on free ports; this script only installs.
# As root with apt-get, what is missing is installed; otherwise it says what to install.
# Both `make test` and `make bench` want the Mosquitto command-line clients too: the
# benchmark measures the broker with mosquitto_sub, and the test suite runs a quick benchmark.
set -euo pipefail

want_clients=true

missing_pkgs=()

have_mosquitto() {
    command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]]
}

system_pg_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    fi
    for dir in $(printf "%s\n" /usr/lib/postgresql/*/bin | sort -rV); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# pgserver (a dependency) brings PostgreSQL 16. As root the test rig runs it as the
# "postgres" user, who must be able to reach the binaries: every directory on the way must
# be searchable by others (a checkout under /root usually is not).
pgserver_usable() {
    local bindir
    bindir="$(.venv/bin/python -c 'import pathlib, pgserver; print(pathlib.Path(pgserver.__file__).parent / "pginstall" / "bin")' 2>/dev/null)" \
        || return 1
    [[ -x "$bindir/initdb" ]] || return 1
    [[ "$(id -u)" != 0 ]] && return 0
    local dir="$bindir"
    while [[ "$dir" != "/" ]]; do
        (( 8#$(stat -c %a "$dir") & 1 )) || return 1
        dir="$(dirname "$dir")"
    done
    return 0
}

if [[ -n "${TANFANG_TEST_MQTT_URL:-}" ]]; then
    echo "mosquitto: not needed, the tests use TANFANG_TEST_MQTT_URL"
elif have_mosquitto; then
    echo "mosquitto: $(command -v mosquitto || echo /usr/sbin/mosquitto)"
else
    missing_pkgs+=(mosquitto)
fi
if $want_clients && ! command -v mosquitto_sub >/dev/null 2>&1; then
    missing_pkgs+=(mosquitto-clients)
fi

if [[ -n "${TANFANG_TEST_DATABASE_URL:-}" ]]; then
    echo "postgresql: not needed, the tests use TANFANG_TEST_DATABASE_URL"
elif bindir="$(system_pg_bindir)"; then
    echo "postgresql: $bindir"
elif pgserver_usable; then
    echo "postgresql: the binaries that the pgserver package brings"
else
    missing_pkgs+=(postgresql)
fi

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium || command -v chromium-browser)"
elif [[ "$(id -u)" == 0 ]]; then
    missing_pkgs+=(chromium)
else
    echo "chromium: missing, the browser tests are skipped (sudo apt-get install chromium)" >&2
fi

# node and npm run PGlite-WASM with timescaledb: the Timescale-mode test
# (tests/store/test_timescale_mode.py; skipped without them only when not root).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    echo "node: $(command -v node)"
elif [[ "$(id -u)" == 0 ]]; then
    missing_pkgs+=(nodejs npm)
else
    echo "node/npm: missing, the Timescale-mode test is skipped (sudo apt-get install nodejs npm)" >&2
fi

[[ ${#missing_pkgs[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing_pkgs[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
    if [[ -z "${TANFANG_TEST_MQTT_URL:-}" ]] && ! have_mosquitto; then
        echo "mosquitto is still missing after apt-get install" >&2
        exit 1
    fi
    if [[ " ${missing_pkgs[*]} " == *" chromium "* ]] && ! command -v chromium >/dev/null 2>&1; then
        echo "chromium is still missing after apt-get install" >&2
        exit 1
    fi
    if [[ " ${missing_pkgs[*]} " == *" npm "* ]] && ! command -v npm >/dev/null 2>&1; then
        echo "npm is still missing after apt-get install" >&2
        exit 1
    fi
    exit 0
fi

cat >&2 <<MSG
The tests need these packages, which are not installed: ${missing_pkgs[*]}
Install them, then run make test again:
    sudo apt-get update && sudo apt-get install -y ${missing_pkgs[*]}
(or point the tests at running services instead:
    TANFANG_TEST_MQTT_URL=mqtt://127.0.0.1:1883 TANFANG_TEST_DATABASE_URL=postgresql://... make test)
MSG
exit 1
