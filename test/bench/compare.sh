#!/usr/bin/env bash
# cri-ts against containerd's own CRI, side by side on one containerd (its CRI
# serves namespace k8s.io, cri-ts namespace cri-ts.bench), in one markdown
# report (OUTDIR/report.md, also printed):
#   1. critest -benchmark medians with their ratio (cri-ts / containerd; below
#      1 is faster), rounds alternating which runtime goes first;
#   2. cri-compare-bench.js: every list and status call at 0 and BENCH_PODS
#      pods from an in-process client, alternating call by call; RSS of the
#      cri-ts process tree and of containerd idle, at BENCH_PODS pods and after;
#      kill -9 to a full ListPodSandbox at BENCH_PODS pods.
#
#   compare.sh [OUTDIR]        default /tmp/cri-ts-bench
#
# The containerd is v2.4.2 built from its Go module (build-containerd.sh,
# cached); BENCH_CONTAINERD=system uses the one on PATH (Debian's 1.6) instead.
# Environment: BENCH_ROUNDS (2 critest rounds per runtime; 0 skips critest),
#   BENCH_N (20), BENCH_PARALLEL (2) and the rest of critest-bench.sh;
#   BENCH_PARTS (lists,memory,restart; "" skips part 2), BENCH_PODS (100),
#   BENCH_CALL_ROUNDS (101; a call stops after BENCH_CALL_BUDGET_S, 60 s, of
#   both sides' time in it), BENCH_RESTARTS (5), BENCH_CALLS (only these calls,
#   comma-separated); CRI_TS_NODE_FLAGS extra node flags for cri-ts (e.g.
#   "--cpu-prof --cpu-prof-dir=/tmp/prof": a profile per cri-ts process, written
#   when it stops). Its own bridges, subnets and stream port (CTRD_CRI_BRIDGE,
#   CTRD_CRI_SUBNET, CTRD_CRI_STREAM_PORT, CRI_TS_BRIDGE, CRI_TS_SUBNET,
#   CRI_TS_NETWORK: set others to run two at once), so that it runs beside
#   critest and the integration tests.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-/tmp/cri-ts-bench}
export BENCH_N=${BENCH_N:-20}
ROUNDS=${BENCH_ROUNDS:-2}
PARTS=${BENCH_PARTS-lists,memory,restart}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT"/containerd-* "$OUT"/cri-ts-*
W=$(mktemp -d /tmp/cri-ts-bench.XXXXXX)

if [ "${BENCH_CONTAINERD:-v2.4.2}" != system ]; then
  PATH=$(CONTAINERD2_VERSION=${BENCH_CONTAINERD:-v2.4.2} bash "$HERE/build-containerd.sh"):$PATH
  export PATH
fi
export CTRD_CRI_BRIDGE=${CTRD_CRI_BRIDGE:-ctrdbn0} CTRD_CRI_SUBNET=${CTRD_CRI_SUBNET:-10.251.0.0/16} CTRD_CRI_STREAM_PORT=${CTRD_CRI_STREAM_PORT:-10031}
export CRI_TS_BRIDGE=${CRI_TS_BRIDGE:-critsbn0} CRI_TS_SUBNET=${CRI_TS_SUBNET:-10.250.0.0/16} CRI_TS_NETWORK=${CRI_TS_NETWORK:-critsbench}

registry_was_up=false
curl -fsS -m 2 http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && registry_was_up=true
bash "$ROOT/test/critest/build-images.sh" >&2

crits_pid=
stop_crits() {
  [ -n "$crits_pid" ] || return 0
  kill "$crits_pid"; for _ in $(seq 100); do kill -0 "$crits_pid" 2>/dev/null || break; sleep 0.1; done
  crits_pid=
}
cleanup() {
  set +e
  stop_crits
  bash "$HERE/containerd-cri.sh" stop "$W/containerd" >&2
  $registry_was_up || bash "$ROOT/test/critest/stop-registry.sh" >/dev/null
  ip link del "$CRI_TS_BRIDGE" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT

bash "$HERE/containerd-cri.sh" start "$W/containerd" >/dev/null
bash "$ROOT/test/critest/cri-ts-config.sh" "$W" "$W/containerd/containerd.sock" "$W/cri-ts.sock" cri-ts.bench
# The environment and flags cri-ts always runs with (its shebang's, "env -S NAME=VALUE node FLAGS";
# src/cli/node-flags.ts), then the caller's flags.
read -r shebang < "$ROOT/dist/bin/cri-ts.mjs"
read -r -a shebang_words <<< "${shebang#'#!/usr/bin/env -S '}"
node_env=(); node_flags=(); seen_node=false
for word in "${shebang_words[@]}"; do
  if $seen_node; then node_flags+=("$word"); elif [ "$word" = node ]; then seen_node=true; else node_env+=("$word"); fi
done
eval "node_flags+=(${CRI_TS_NODE_FLAGS:-})"
version=$(containerd --version | awk '{print $3}')
report=$OUT/report.md
echo "## cri-ts / containerd $version's own CRI, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" > "$report"

if [ "$ROUNDS" -gt 0 ]; then
  env "${node_env[@]}" node "${node_flags[@]}" "$ROOT/dist/bin/cri-ts.mjs" serve --config "$W/cri-ts.toml" > "$OUT/cri-ts.log" 2>&1 &
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
  stop_crits
  node "$HERE/bench-medians.mjs" "$OUT"/containerd-*/ > "$OUT/containerd.txt"
  node "$HERE/bench-medians.mjs" "$OUT"/cri-ts-*/ > "$OUT/cri-ts.txt"
  {
    echo
    echo "### critest -benchmark"
    echo
    echo "Medians of $ROUNDS rounds of n=$BENCH_N per runtime, ${BENCH_PARALLEL:-2} in parallel; $(uptime | sed 's/.*load average/load average/')"
    echo
    echo "| operation | containerd ms | cri-ts ms | ratio |"
    echo "| --- | ---: | ---: | ---: |"
    join <(awk '{print $1, $2}' "$OUT/containerd.txt" | sort) <(awk '{print $1, $2}' "$OUT/cri-ts.txt" | sort) |
      awk '{ printf "| %s | %.1f | %.1f | %.2f |\n", $1, $2, $3, ($2 > 0 ? $3 / $2 : 0) }'
  } >> "$report"
fi

if [ -n "$PARTS" ]; then
  echo >> "$report"
  node "$ROOT/dist/test/bench/cri-compare-bench.js" --containerd-dir "$W/containerd" \
    --cri-ts-config "$W/cri-ts.toml" --cri-ts-socket "$W/cri-ts.sock" --parts "$PARTS" \
    --pods "${BENCH_PODS:-100}" --rounds "${BENCH_CALL_ROUNDS:-101}" --budget-s "${BENCH_CALL_BUDGET_S:-60}" --restarts "${BENCH_RESTARTS:-5}" \
    ${BENCH_CALLS:+--calls "$BENCH_CALLS"} --json "$OUT/calls.json" --log-dir "$OUT" \
    --title "In-process client: lists, status, memory, restart" >> "$report"
fi
cat "$report"
