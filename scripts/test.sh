#!/usr/bin/env bash
# Lint and run the test suite (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SP_SETUP_BROWSER=1 bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
