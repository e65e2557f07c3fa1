#!/usr/bin/env bash
# Runs critest's benchmarks (critest -benchmark) against a CRI endpoint and
# prints one line per operation: NAME MEDIAN ms (samples, parallelism).
# Run it against cri-ts and containerd's CRI (containerd-cri.sh) in one session
# and compare the medians as ratios: absolute times drift between machines.
#
#   critest-bench.sh ENDPOINT OUTDIR
#
# Environment: BENCH_N samples per benchmark (10), BENCH_PARALLEL (2),
#   BENCH_PULL_IMAGE (registry.k8s.io/cri-ts/bench-pull:1mib, from
#   test/critest/build-images.sh; the endpoint must mirror registry.k8s.io to it),
#   CRITEST_FLAGS extra critest flags (shell-quoted), CRITEST_VERSION, CRI_TS_CACHE.
#
# How critest reports (v1.36.0): with -benchmarking-params-file setting the
# *Number fields (a benchmark whose number is unset is skipped) and
# -benchmarking-output-dir, it writes one JSON file per benchmark with every
# sample and no medians; bench-medians.mjs computes them. critest ignores
# imageListingBenchmarkImages (read before the params file is loaded), so
# ListImages lists whatever the runtime holds. Everything lands in OUTDIR.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 ENDPOINT OUTDIR" >&2; exit 2; }
ENDPOINT=$1
mkdir -p "$2"; OUT=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
CRITEST=$(bash "$HERE/../critest/build-tools.sh")/critest
N=${BENCH_N:-10} P=${BENCH_PARALLEL:-2}
eval "extra=(${CRITEST_FLAGS:-})"

cat > "$OUT/params.yaml" <<EOF
podsNumber: $N
podsNumberParallel: $P
containersNumber: $N
containersNumberParallel: $P
imagesNumber: $N
imagesNumberParallel: $P
imagePullingBenchmarkImage: ${BENCH_PULL_IMAGE:-registry.k8s.io/cri-ts/bench-pull:1mib}
podContainerStartBenchmarkTimeoutSeconds: 30
EOF
rm -f "$OUT"/*_benchmark_data.json "$OUT/report.json"
rc=0
(cd "$OUT" && "$CRITEST" -benchmark --runtime-endpoint "$ENDPOINT" --image-endpoint "$ENDPOINT" \
  -benchmarking-params-file "$OUT/params.yaml" -benchmarking-output-dir "$OUT" \
  -ginkgo.no-color -ginkgo.json-report "$OUT/report.json" "${extra[@]}" \
  > "$OUT/critest-bench.log" 2>&1) || rc=$?
echo "critest -benchmark against $ENDPOINT exited $rc, log $OUT/critest-bench.log" >&2

node "$HERE/bench-medians.mjs" "$OUT"
exit $rc
