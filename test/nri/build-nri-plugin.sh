#!/usr/bin/env bash
# Builds test/nri/plugin (an NRI plugin on containerd/nri's Go module, for the
# integration tests) into ${CRI_TS_CACHE:-/var/cache/cri-ts}/nri-plugin/NRI_VERSION-SOURCEHASH/
# (skipped when there) and prints that directory. NRI_VERSION defaults to the
# one containerd v2.4.2 requires, v0.12.3.
#
# containerd/nri's own sample plugins (plugins/logger, device-injector, ...)
# are separate, untagged Go modules the module proxy here does not serve
# (403), so the test plugin is a small main of ours on the module's stub,
# API types, multiplexer and ttrpc.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=${NRI_VERSION:-v0.12.3}
HASH=$(sha256sum "$HERE/plugin/main.go" | cut -c1-12)
DIR=${CRI_TS_CACHE:-/var/cache/cri-ts}/nri-plugin/$VERSION-$HASH

. "$HERE/../go-module-build.sh"
exit_if_built "$DIR" nri-test-plugin
enter_scratch_module build-nri-plugin.sh "$DIR"

go mod download "github.com/containerd/nri@$VERSION" >&2
prefer_module_cache
echo "build-nri-plugin.sh: building the NRI test plugin on github.com/containerd/nri $VERSION" >&2
go mod init nri-test-plugin >/dev/null 2>&1
cp "$HERE/plugin/main.go" .
go get "github.com/containerd/nri@$VERSION" >&2
go mod tidy >&2
CGO_ENABLED=0 go build -trimpath -o "$scratch/nri-test-plugin" . >&2
mv "$scratch/nri-test-plugin" "$DIR/nri-test-plugin"
echo "$DIR"
