#!/usr/bin/env bash
# Runs the whole pipeline locally: infrastructure, build, then every service that exists.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
pnpm build
exec node scripts/run-pipeline.mjs
