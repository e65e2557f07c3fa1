#!/usr/bin/env bash
# Regenerates the TypeScript types under src/generated and the JSON descriptors
# under api/descriptors (what cri-ts loads at run time) from the .proto files in api/.
# The options here must match src/proto/descriptors.ts (camelCase fields, int64 as
# strings, enums as names, defaults filled, oneof names set).
set -euo pipefail
cd "$(dirname "$0")/.."
gen() {
  local out=$1 include=$2; shift 2
  rm -rf "$out"
  npx --no-install proto-loader-gen-types \
    --longs=String --enums=String --defaults --oneofs \
    --grpcLib=@grpc/grpc-js --importFileExtension=.js \
    -I "$include" -O "$out" "$@"
}
gen src/generated/cri api cri/v1/api.proto
gen src/generated/nri api/nri api.proto ttrpc.proto
# Nothing uses the per-file aggregates (no grpc service is served from them).
rm -f src/generated/nri/*.ts
( cd api/containerd && find . -name '*.proto' | sed 's|^\./||' | sort ) > /tmp/cri-ts-containerd-protos.$$
mapfile -t CONTAINERD_PROTOS < /tmp/cri-ts-containerd-protos.$$
rm -f /tmp/cri-ts-containerd-protos.$$
if [ ${#CONTAINERD_PROTOS[@]} -gt 0 ]; then
  gen src/generated/containerd api/containerd "${CONTAINERD_PROTOS[@]}"
  # The per-file aggregate types at the top level collide (two task.proto files)
  # and nothing uses them: the per-message files are what the client imports.
  find src/generated/containerd -maxdepth 1 -name '*.ts' -delete
fi
node scripts/gen-descriptors.mjs
