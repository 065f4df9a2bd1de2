#!/usr/bin/env bash
# Idempotent set-up: PostgreSQL 15 + PostGIS 3, a .venv and the project installed in it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PG_BIN=/usr/lib/postgresql/15/bin
POSTGIS_CONTROL=/usr/share/postgresql/15/extension/postgis.control
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
APT_UPDATED=""

apt_install() {
    local log
    log="$(mktemp)"
    echo "setup: installing $* with apt-get"
    if [ -z "$APT_UPDATED" ]; then
        if ! $SUDO apt-get -qq update >"$log" 2>&1; then
            echo "setup: apt-get update failed (details in $log)" >&2
            exit 1
        fi
        APT_UPDATED=1
    fi
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y "$@" >"$log" 2>&1; then
        echo "setup: apt-get install $* failed (details in $log)" >&2
        exit 1
    fi
    rm -f "$log"
}

if [ ! -x "$PG_BIN/initdb" ] || [ ! -f "$POSTGIS_CONTROL" ]; then
    apt_install postgresql-15-postgis-3
fi

if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        apt_install python3-venv
        python3 -m venv .venv
    fi
fi

# Reinstall only when the dependency list changed since the last successful install.
STAMP=.venv/.spatial-platform-installed
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ] || [ ! -x .venv/bin/spatial-platform ]; then
    echo "setup: installing the project into .venv"
    .venv/bin/pip install -qq -e '.[test]'
    echo "$WANT" >"$STAMP"
fi
