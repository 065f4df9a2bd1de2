#!/usr/bin/env bash
# Set up, migrate, load the areacodes data set and serve the API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
.venv/bin/spatial-platform db upgrade
.venv/bin/spatial-platform ingest areacodes
exec .venv/bin/spatial-platform serve
