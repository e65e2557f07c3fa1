#!/usr/bin/env bash
# critest -benchmark against containerd's own CRI and against cri-ts, side by
# side on the same containerd 1.6 (its CRI plugin serves namespace k8s.io,
# cri-ts namespace cri-ts.bench), and a table of the medians with their ratio
# (cri-ts / containerd; below 1 is faster).
#
#   compare.sh [OUTDIR]        default /tmp/cri-ts-bench
#
# Environment: BENCH_ROUNDS (2: each runtime runs that often, alternating which
#   goes first), BENCH_N (20), BENCH_PARALLEL (2) and the rest of critest-bench.sh;
#   CRI_TS_NODE_FLAGS extra node flags for cri-ts (e.g. "--cpu-prof
#   --cpu-prof-dir=/tmp/prof": the profile is written when cri-ts stops).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/cri-ts-bench}
export BENCH_N=${BENCH_N:-20}
ROUNDS=${BENCH_ROUNDS:-2}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT"/containerd-* "$OUT"/cri-ts-*
W=$(mktemp -d /tmp/cri-ts-bench.XXXXXX)

registry_was_up=false
curl -fsS -m 2 http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && registry_was_up=true
bash "$ROOT/test/critest/build-images.sh" >&2

crits_pid=
cleanup() {
  set +e
  if [ -n "$crits_pid" ]; then
    kill "$crits_pid"; for _ in $(seq 100); do kill -0 "$crits_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  bash "$HERE/containerd-cri.sh" stop "$W/containerd" >&2
  $registry_was_up || bash "$ROOT/test/critest/stop-registry.sh" >/dev/null
  ip link del crits0 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT

bash "$HERE/containerd-cri.sh" start "$W/containerd" >/dev/null
bash "$ROOT/test/critest/cri-ts-config.sh" "$W" "$W/containerd/containerd.sock" "$W/cri-ts.sock" cri-ts.bench
eval "node_flags=(${CRI_TS_NODE_FLAGS:-})"
node "${node_flags[@]}" "$ROOT/dist/src/cli/main.js" serve --config "$W/cri-ts.toml" > "$OUT/cri-ts.log" 2>&1 &
crits_pid=$!
for _ in $(seq 300); do [ -S "$W/cri-ts.sock" ] && break; sleep 0.1; done
[ -S "$W/cri-ts.sock" ] || { echo "cri-ts did not start; see $OUT/cri-ts.log" >&2; exit 1; }

# Rounds alternate which runtime goes first: whichever runs second on a
# containerd measured about 2 ms slower per StartContainer here.
for round in $(seq "$ROUNDS"); do
  order="containerd cri-ts"; [ $((round % 2)) -eq 0 ] && order="cri-ts containerd"
  for side in $order; do
    endpoint=unix://$W/cri-ts.sock; [ "$side" = containerd ] && endpoint=unix://$W/containerd/containerd.sock
    # containerd's own CRI sometimes fails a parallel PullImage ("failed to create
    # image reference ... not found"); the other rounds still count.
    bash "$HERE/critest-bench.sh" "$endpoint" "$OUT/$side-$round" > "$OUT/$side-$round.txt" ||
      echo "compare.sh: round $round of $side failed; its samples are left out (see $OUT/$side-$round/critest-bench.log)" >&2
  done
done
node "$HERE/bench-medians.mjs" "$OUT"/containerd-*/ > "$OUT/containerd.txt"
node "$HERE/bench-medians.mjs" "$OUT"/cri-ts-*/ > "$OUT/cri-ts.txt"

echo "critest -benchmark medians, $ROUNDS rounds of n=$BENCH_N, ${BENCH_PARALLEL:-2} in parallel, one containerd $(containerd --version | awk '{print $3}')"
printf '%-24s %12s %12s %7s\n' operation containerd cri-ts ratio
join <(awk '{print $1, $2}' "$OUT/containerd.txt" | sort) <(awk '{print $1, $2}' "$OUT/cri-ts.txt" | sort) |
  awk '{ printf "%-24s %9.1f ms %9.1f ms %7.2f\n", $1, $2, $3, ($2 > 0 ? $3 / $2 : 0) }'
