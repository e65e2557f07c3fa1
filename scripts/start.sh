#!/usr/bin/env bash
# Installs what is missing, builds cri-ts and runs it in the foreground.
# Arguments go to `cri-ts serve` (e.g. --config /etc/cri-ts/config.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node dist/src/cli/main.js serve "$@"
