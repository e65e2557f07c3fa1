#!/usr/bin/env bash
# Installs cri-ts for this node from this checkout. Safe to run again: the
# tree is replaced whole, the config file is never overwritten.
#
#   scripts/install.sh [--prefix DIR] [--bindir DIR] [--etc DIR] [--no-build]
#
#   --prefix DIR  the installed tree (default /usr/local/lib/cri-ts)
#   --bindir DIR  where the `cri-ts` command goes (default /usr/local/bin)
#   --etc DIR     the root of cri-ts/config.toml, crictl.yaml and systemd/system (default /etc)
#   --no-build    install dist/ as it is, without scripts/install-deps.sh
#
# What it does: builds (install-deps.sh: Debian packages, node modules, tsc);
# copies package.json, dist/bin (the bundle: cri-ts and the node modules it
# uses, in a few files), api/, config/ and libexec/ to PREFIX; writes
# BINDIR/cri-ts, which runs this node on PREFIX's dist/bin/cri-ts.mjs;
# writes ETC/cri-ts/config.toml from config/config.toml when there is none;
# installs config/cri-ts.service to ETC/systemd/system when that directory
# exists (replaced each time: local changes go in a drop-in); writes
# ETC/crictl.yaml pointing at cri-ts when there is none, and otherwise only
# says what it should hold.
set -euo pipefail

prefix=/usr/local/lib/cri-ts
bindir=/usr/local/bin
etc=/etc
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --bindir) bindir=${2:?--bindir needs a directory}; shift 2 ;;
    --etc) etc=${2:?--etc needs a directory}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for dir in "$prefix" "$bindir" "$etc"; do
  case "$dir" in /*) ;; *) echo "install.sh: $dir must be an absolute path" >&2; exit 2 ;; esac
done

src=$(cd "$(dirname "$0")/.." && pwd)
marker=.installed-by-cri-ts
# The old tree is removed whole on reinstall: only ever remove one this script made.
if [ -e "$prefix" ] && [ ! -e "$prefix/$marker" ] && [ -n "$(ls -A "$prefix" 2>/dev/null)" ]; then
  echo "install.sh: $prefix exists and was not installed by this script; choose another --prefix" >&2
  exit 1
fi
[ "$(cd "$prefix" 2>/dev/null && pwd)" != "$src" ] || { echo "install.sh: --prefix is the checkout itself" >&2; exit 1; }

if [ "$build" = 1 ]; then
  bash "$src/scripts/install-deps.sh"
fi
[ -f "$src/dist/bin/cri-ts.mjs" ] || { echo "install.sh: $src/dist is not built; run without --no-build" >&2; exit 1; }
node=$(command -v node) || { echo "install.sh: node is not on PATH" >&2; exit 1; }

# 1. The tree, staged beside its place and swapped in, so a failed copy leaves the old one.
parent=$(dirname "$prefix")
mkdir -p "$parent"
stage=$(mktemp -d "$parent/.cri-ts-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/dist"
cp -a "$src/package.json" "$src/api" "$src/config" "$src/libexec" "$stage/"
# The bundle holds every module cri-ts runs: no node_modules, no dist/src.
cp -a "$src/dist/bin" "$stage/dist/"
find "$stage/dist" -name '*.map' -delete
touch "$stage/$marker"
chmod 0755 "$stage"
if [ -e "$prefix" ]; then
  old="$parent/.cri-ts-old.$$"
  mv "$prefix" "$old"
  mv "$stage" "$prefix"
  rm -rf "$old"
else
  mv "$stage" "$prefix"
fi
trap - EXIT
echo "installed cri-ts $(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$prefix/package.json") in $prefix"

# 2. The command on PATH: the node found now, by absolute path, so a service's short PATH does not matter.
mkdir -p "$bindir"
cat > "$bindir/cri-ts.new" <<EOF
#!/bin/sh
# Written by cri-ts's scripts/install.sh: runs the cri-ts installed in $prefix.
exec env MALLOC_ARENA_MAX=2 $node --max-semi-space-size=2 $prefix/dist/bin/cri-ts.mjs "\$@"
EOF
chmod 0755 "$bindir/cri-ts.new"
mv "$bindir/cri-ts.new" "$bindir/cri-ts"
echo "installed $bindir/cri-ts"

# 3. The config file: written once, then the operator's.
config="$etc/cri-ts/config.toml"
if [ -e "$config" ]; then
  echo "kept $config (never overwritten); checking it:"
  "$bindir/cri-ts" config check "$config" || echo "install.sh: $config does not pass the installed cri-ts's check; see above" >&2
else
  mkdir -p "$etc/cri-ts"
  install -m 0644 "$prefix/config/config.toml" "$config"
  echo "wrote $config (every key at its default)"
fi

# 4. The systemd unit, where systemd keeps units.
if [ -d "$etc/systemd/system" ]; then
  sed -e "s#^ExecStart=/usr/local/bin/cri-ts serve --config /etc/cri-ts/config.toml#ExecStart=$bindir/cri-ts serve --config $config#" \
    "$prefix/config/cri-ts.service" > "$etc/systemd/system/cri-ts.service.new"
  chmod 0644 "$etc/systemd/system/cri-ts.service.new"
  mv "$etc/systemd/system/cri-ts.service.new" "$etc/systemd/system/cri-ts.service"
  echo "installed $etc/systemd/system/cri-ts.service"
  if [ "$etc" = /etc ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl daemon-reload
    echo "  start it, and at every boot: systemctl enable --now cri-ts (restart it to run a new install: systemctl restart cri-ts)"
  else
    echo "  systemd is not running here: start cri-ts with $bindir/cri-ts serve"
  fi
else
  echo "no $etc/systemd/system: no unit installed; start cri-ts with $bindir/cri-ts serve"
fi

# 5. crictl: written when absent; an existing file is the operator's.
socket=unix:///run/cri-ts/cri-ts.sock
crictl="$etc/crictl.yaml"
if [ -e "$crictl" ]; then
  if grep -q "$socket" "$crictl"; then
    echo "kept $crictl (it points at cri-ts)"
  else
    echo "kept $crictl; for crictl to talk to cri-ts it should hold:"
    printf '  runtime-endpoint: %s\n  image-endpoint: %s\n' "$socket" "$socket"
  fi
else
  printf 'runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 10\n' "$socket" "$socket" > "$crictl"
  echo "wrote $crictl (crictl talks to cri-ts at $socket)"
fi
echo "next: $bindir/cri-ts doctor --config $config"
