#!/usr/bin/env bash
# containerd's own CRI plugin, as the comparison for cri-ts (ENVIRONMENT.md,
# "containerd's own CRI, as the comparison").
#
#   containerd-cri.sh start WORKDIR   start a second containerd, CRI plugin on,
#                                     with its root, state, config, log, pid and
#                                     socket under WORKDIR; prints the endpoint
#   containerd-cri.sh stop WORKDIR    stop and remove its pods (crictl stopp/rmp),
#                                     then stop that containerd by its pid
#
# The containerd is the first on PATH: Debian's 1.6 gets a version 2 config,
# a 2.x (test/bench/build-containerd.sh; put its bin directory first on PATH,
# its shim with it) a version 3 config with the same settings and NRI off (its
# default socket /var/run/nri/nri.sock is the host's).
#
# Its CRI uses sandbox image registry.k8s.io/pause:3.10, mirrors registry.k8s.io,
# k8s.gcr.io and gcr.io to the local registry of test/critest/build-images.sh
# (http://127.0.0.1:5000), runc (default) and crun handlers with the cgroupfs
# driver, restrict_oom_score_adj (these hosts lack CAP_SYS_RESOURCE), and a
# bridge + portmap + loopback CNI conflist on ${CTRD_CRI_SUBNET:-10.99.0.0/16},
# bridge ${CTRD_CRI_BRIDGE:-ctrdcri0} (cri-ts uses 10.88.0.0/16), its IPAM
# state under WORKDIR. Stream server: 127.0.0.1:${CTRD_CRI_STREAM_PORT:-10020}.
set -euo pipefail

usage() { echo "usage: $0 start|stop WORKDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
CMD=$1
mkdir -p "$2"; WD=$(cd "$2" && pwd)
SOCK=$WD/containerd.sock
PIDFILE=$WD/containerd.pid
BRIDGE=${CTRD_CRI_BRIDGE:-ctrdcri0}
SUBNET=${CTRD_CRI_SUBNET:-10.99.0.0/16}
HERE=$(cd "$(dirname "$0")" && pwd)
CRICTL=${CRICTL:-$(bash "$HERE/../critest/build-tools.sh")/crictl}
crictl() { "$CRICTL" --config /dev/null --runtime-endpoint "unix://$SOCK" --image-endpoint "unix://$SOCK" --timeout 60s "$@"; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# The config's version and containerd's own tables, the same for 1.x and 2.x.
daemon_tables() {
  cat <<EOF
version = $1
root = "$WD/root"
state = "$WD/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
EOF
}

# The runc and crun runtimes under the CRI table PREFIX (its key differs
# between containerd 1.x and 2.x).
runtimes_table() {
  local prefix=$1
  cat <<EOF
  [$prefix.containerd]
    default_runtime_name = "runc"
    [$prefix.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [$prefix.containerd.runtimes.runc.options]
        SystemdCgroup = false
    [$prefix.containerd.runtimes.crun]
      runtime_type = "io.containerd.runc.v2"
      [$prefix.containerd.runtimes.crun.options]
        BinaryName = "$(command -v crun || echo /usr/bin/crun)"
        SystemdCgroup = false
EOF
}

# containerd 1.x: the CRI plugin's settings in one table.
write_config_v2() {
  cat > "$WD/config.toml" <<EOF
$(daemon_tables 2)
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "${CTRD_CRI_STREAM_PORT:-10020}"
$(runtimes_table 'plugins."io.containerd.grpc.v1.cri"')
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$WD/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."registry.k8s.io"]
    endpoint = ["http://127.0.0.1:5000"]
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."k8s.gcr.io"]
    endpoint = ["http://127.0.0.1:5000"]
  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."gcr.io"]
    endpoint = ["http://127.0.0.1:5000"]
EOF
}

# containerd 2.x: the CRI settings split into runtime, images and server
# tables; mirrors are hosts.toml directories.
write_config_v3() {
  local host
  for host in registry.k8s.io k8s.gcr.io gcr.io 127.0.0.1:5000; do
    mkdir -p "$WD/certs.d/$host"
    printf '[host."http://127.0.0.1:5000"]\n  capabilities = ["pull", "resolve"]\n' > "$WD/certs.d/$host/hosts.toml"
  done
  cat > "$WD/config.toml" <<EOF
$(daemon_tables 3)
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "${CTRD_CRI_STREAM_PORT:-10020}"
[plugins.'io.containerd.cri.v1.images']
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "registry.k8s.io/pause:3.10"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$WD/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
$(runtimes_table "plugins.'io.containerd.cri.v1.runtime'")
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$WD/net.d"
EOF
}

start() {
  if running; then echo "unix://$SOCK"; return; fi
  mkdir -p "$WD/root" "$WD/state" "$WD/net.d"
  cat > "$WD/net.d/10-ctrdcri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "ctrdcri",
  "plugins": [
    { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$SUBNET" }]], "dataDir": "$WD/ipam", "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
EOF
  case $(containerd --version | awk '{print $3}') in
    v1.*) write_config_v2 ;;
    *) write_config_v3 ;;
  esac
  # pods reach each other and the host through the bridge
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || echo 1 > /proc/sys/net/ipv4/ip_forward
  setsid containerd --config "$WD/config.toml" >> "$WD/containerd.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 100); do
    crictl info >/dev/null 2>&1 && { echo "unix://$SOCK"; return; }
    running || break
    sleep 0.2
  done
  echo "containerd-cri.sh: containerd did not come up, see $WD/containerd.log" >&2
  exit 1
}

stop() {
  if running; then
    local pods
    pods=$(crictl pods -q 2>/dev/null || true)
    if [ -n "$pods" ]; then
      # shellcheck disable=SC2086
      crictl stopp $pods >/dev/null || true
      # shellcheck disable=SC2086
      crictl rmp -f $pods >/dev/null || true
    fi
    local pid; pid=$(cat "$PIDFILE")
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "containerd-cri.sh: stopped containerd (pid $pid), removed $(echo "$pods" | grep -c . || true) pods"
  else
    echo "containerd-cri.sh: containerd in $WD is not running"
  fi
  rm -f "$PIDFILE"
  # shims of containers this containerd started and that outlived rmp
  local p
  for p in $(pgrep -f -- "-address $SOCK( |$)" || true); do
    kill "$p" 2>/dev/null && echo "containerd-cri.sh: stopped leftover shim (pid $p)"
  done
  # mounts left under WORKDIR (sandbox shm, rootfs), deepest first
  awk -v wd="$WD/" 'index($2, wd) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  ip link del "$BRIDGE" 2>/dev/null || true
}

case $CMD in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
