#!/usr/bin/env bash
# Installs what cri-ts needs and is missing, then builds it. Safe to run again.
#   install-deps.sh           what running cri-ts needs
#   install-deps.sh --test    plus what the test suite needs (registry, image tools, crictl, critest, kubelet, runc v1.4.0)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_PACKAGES=(containerd runc containernetworking-plugins iptables iproute2 util-linux socat)
TEST_PACKAGES=(crun docker-registry skopeo umoci busybox gcc libc6-dev curl procps apache2-utils libseccomp-dev)

want=("${RUNTIME_PACKAGES[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PACKAGES[@]}")

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "cri-ts needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# Reinstall node modules only when the lock file changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.lock-hash ] || [ "$(cat node_modules/.lock-hash)" != "$lock_hash" ]; then
  npm ci --no-fund --no-audit --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi
npm run --silent build

# Pods reach each other and the host through a bridge: forwarding must be on.
if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
  echo 1 > /proc/sys/net/ipv4/ip_forward
fi

if [ "${1:-}" = "--test" ]; then
  bash test/critest/build-tools.sh >/dev/null
  bash test/kubelet/build-kubelet.sh >/dev/null # for test/integration/kubelet; cached, ~9 minutes cold
  bash test/runc/build-runc.sh >/dev/null # the user-namespace runtime handler (Debian's runc 1.1.5 has no idmapped mounts); cached
  # crun (the tests' second runtime handler) refuses a hybrid cgroup host whose
  # cgroup2 still offers controllers ("cgroups in hybrid mode not supported");
  # on these hosts that is hugetlb alone, so it gets a v1 hierarchy of its own.
  if mountpoint -q /sys/fs/cgroup/memory && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
  fi
fi
