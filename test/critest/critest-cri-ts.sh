#!/usr/bin/env bash
# Runs critest's validation suite against cri-ts, under the ratchet of
# expected-pass.txt: builds the offline images into the local registry, starts
# a containerd of its own (CRI plugin off) and cri-ts on it with the registry
# mirrors set, runs run.sh, and tears everything down, also on failure.
#
#   critest-cri-ts.sh            the whole suite (CRITEST_FLAGS adds flags, see run.sh);
#                                its log and JSON report stay in $CRITEST_OUT (/tmp/critest-cri-ts)
#
# Specs this host cannot pass are skipped by CRITEST_SKIP (a ginkgo regex),
# listed here with the reason rather than silently:
#   - "with digest": test-image-digest is pinned to an upstream digest that no
#     offline build reproduces.
# The 6 user-namespace specs run a second time with runtime handler
# runc-userns (runc built by test/runc/build-runc.sh; critest asks only the
# handler it is given whether it supports user namespaces, and the default
# one, Debian's runc 1.1.5, does not): CRITEST_HANDLER_RUNS, see run.sh.
# NRI is enabled on a socket of the run's own, and critest is told it
# (-nri-socket), so its 13 NRI specs run: critest itself is the plugin.
# critest skips others by itself, each with its reason in the JSON report:
#   - AppArmor (9 specs): "AppArmor is disabled on this host" (no AppArmor here);
#   - the benchmark specs (5): they run only with -benchmark (test/bench).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CRITEST_SKIP=${CRITEST_SKIP:-'public image with digest should be pulled and removed'}

# Stop the registry afterwards only if this run started it.
registry_was_up=false
curl -fsS -m 2 http://127.0.0.1:5000/v2/ >/dev/null 2>&1 && registry_was_up=true
bash "$HERE/build-images.sh" >&2

W=$(mktemp -d /tmp/critest-crits.XXXXXX)
# Containers in a pod's own user namespace run as host IDs that must reach their root under containerd's state.
chmod 711 "$W"
CTRD_SOCK=$W/containerd.sock
CRITS_SOCK=$W/cri-ts.sock
pids=()

cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  # Shims of this containerd outlive it by design; end them and their containers.
  pkill -9 -f "containerd-shim.*-address $CTRD_SOCK" 2>/dev/null
  grep -o " $W/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  # The bridge of cri-ts-config.sh's conflist outlives the pods CNI made it for.
  ip link del crits0 2>/dev/null
  $registry_was_up || bash "$HERE/stop-registry.sh" >/dev/null
  if [ -n "${KEEP_CRITEST_DIR:-}" ]; then echo "kept $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

wait_socket() { # PATH PID WHAT
  for _ in $(seq 300); do
    [ -S "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "$3 exited; its log:" >&2; tail -30 "$W/$3.log" >&2; return 1; }
    sleep 0.1
  done
  echo "$3 did not open $1" >&2
  return 1
}

mkdir -p "$W/containerd-root" "$W/containerd-state"
cat > "$W/containerd.toml" <<EOF
version = 2
root = "$W/containerd-root"
state = "$W/containerd-state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
EOF
containerd --config "$W/containerd.toml" > "$W/containerd.log" 2>&1 &
pids+=($!)
wait_socket "$CTRD_SOCK" "${pids[-1]}" containerd

bash "$HERE/cri-ts-config.sh" "$W" "$CTRD_SOCK" "$CRITS_SOCK"
NRI_SOCK=$W/nri.sock
cat >> "$W/cri-ts.toml" <<TOML
[nri]
enable = true
socket_path = "$NRI_SOCK"
plugin_path = "$W/nri-plugins"
plugin_config_path = "$W/nri-conf.d"
TOML
# Run as installed: the bundle's shebang carries cri-ts's node flags and environment.
"$ROOT/dist/bin/cri-ts.mjs" serve --config "$W/cri-ts.toml" > "$W/cri-ts.log" 2>&1 &
pids+=($!)
wait_socket "$CRITS_SOCK" "${pids[-1]}" cri-ts

# The critest log and report outlive the run, for reading failures.
CRITEST_OUT=${CRITEST_OUT:-/tmp/critest-cri-ts} CRITEST_FLAGS="-ginkgo.skip='$CRITEST_SKIP' -nri-socket '$NRI_SOCK' ${CRITEST_FLAGS:-}" \
  CRITEST_HANDLER_RUNS=${CRITEST_HANDLER_RUNS-runc-userns=UserNamespaces} bash "$HERE/run.sh" "unix://$CRITS_SOCK"
