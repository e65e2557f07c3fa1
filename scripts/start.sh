#!/usr/bin/env bash
# Installs what is missing, builds cri-ts and runs it in the foreground.
# Arguments go to `cri-ts serve` (e.g. --config /etc/cri-ts/config.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Node flags: see src/cli/node-flags.ts.
exec node --max-semi-space-size=2 dist/bin/cri-ts.mjs serve "$@"
