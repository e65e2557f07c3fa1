#!/usr/bin/env bash
# Installs what is missing, builds cri-ts and runs it in the foreground.
# Arguments go to `cri-ts serve` (e.g. --config /etc/cri-ts/config.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Node flags and environment: see src/cli/node-flags.ts.
exec env MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 dist/bin/cri-ts.mjs serve "$@"
