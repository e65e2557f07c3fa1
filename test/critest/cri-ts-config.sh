#!/usr/bin/env bash
# Writes the cri-ts config that critest and the benchmarks run with: the local
# registry mirrors registry.k8s.io, k8s.gcr.io and gcr.io, runc (default), crun
# and runc-userns (runc v1.4.0 from test/runc/build-runc.sh, built here if
# missing: user namespaces need its idmapped mounts) handlers, and a bridge +
# portmap + loopback conflist of its own.
#
#   cri-ts-config.sh WORKDIR CONTAINERD_SOCKET CRI_TS_SOCKET [NAMESPACE]
#
# Writes WORKDIR/cri-ts.toml and WORKDIR/net.d/10-crits.conflist (network
# ${CRI_TS_NETWORK:-crits}, bridge ${CRI_TS_BRIDGE:-crits0}, ${CRI_TS_SUBNET:-10.88.0.0/16};
# the benchmark sets its own so that it never shares a bridge or IPAM state with
# a critest run); root and state go under WORKDIR. NAMESPACE is the containerd
# namespace (k8s.io): another one lets cri-ts share a containerd with
# containerd's own CRI, as the side-by-side benchmark does.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 WORKDIR CONTAINERD_SOCKET CRI_TS_SOCKET [NAMESPACE]" >&2; exit 2; }
W=$1 CTRD_SOCK=$2 CRITS_SOCK=$3 NAMESPACE=${4:-k8s.io}
RUNC_DIR=$(bash "$(dirname "$0")/../runc/build-runc.sh")
mkdir -p "$W/net.d"
cat > "$W/net.d/10-crits.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "${CRI_TS_NETWORK:-crits}",
  "plugins": [
    { "type": "bridge", "bridge": "${CRI_TS_BRIDGE:-crits0}", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "${CRI_TS_SUBNET:-10.88.0.0/16}" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
JSON
cat > "$W/cri-ts.toml" <<TOML
root = "$W/cri-ts-root"
state = "$W/cri-ts-state"
sandbox_image = "registry.k8s.io/pause:3.10"
[grpc]
address = "$CRITS_SOCK"
[containerd]
address = "$CTRD_SOCK"
namespace = "$NAMESPACE"
[containerd.managed]
enabled = false
[containerd.runtimes.runc]
runtime_type = "io.containerd.runc.v2"
[containerd.runtimes.crun]
runtime_type = "io.containerd.runc.v2"
[containerd.runtimes.crun.options]
BinaryName = "/usr/bin/crun"
[containerd.runtimes.runc-userns]
runtime_type = "io.containerd.runc.v2"
[containerd.runtimes.runc-userns.options]
BinaryName = "$RUNC_DIR/runc"
[cni]
conf_dir = "$W/net.d"
bin_dirs = ["/usr/lib/cni"]
[registry.mirrors."registry.k8s.io"]
endpoint = ["http://127.0.0.1:5000"]
[registry.mirrors."k8s.gcr.io"]
endpoint = ["http://127.0.0.1:5000"]
[registry.mirrors."gcr.io"]
endpoint = ["http://127.0.0.1:5000"]
TOML
