#!/usr/bin/env bash
# Builds containerd ${CONTAINERD2_VERSION:-v2.4.2} (containerd,
# containerd-shim-runc-v2, ctr) from the github.com/containerd/containerd/v2 Go
# module into ${CRI_TS_CACHE:-/var/cache/cri-ts}/containerd/VERSION/bin (skipped
# when all three are there) and prints that directory. Cold: about 2 minutes.
#
# Quirks:
# - the Go module proxy here answers 403 for `@v/list`, which `go install
#   pkg@version` reads and fails on; the module cache is put in front of the
#   proxy (file://), as in test/critest/build-tools.sh.
# - without the version ldflag `containerd --version` prints "2.4.2+unknown".
# - tags and CGO as containerd's Makefile: urfave_cli_no_docs everywhere, the
#   shim static (CGO_ENABLED=0) and without gRPC (no_grpc).
set -euo pipefail

VERSION=${CONTAINERD2_VERSION:-v2.4.2}
DIR=${CRI_TS_CACHE:-/var/cache/cri-ts}/containerd/$VERSION/bin
MOD=github.com/containerd/containerd/v2
LDFLAGS="-X $MOD/version.Version=$VERSION"

. "$(dirname "$0")/../go-module-build.sh"
exit_if_built "$DIR" containerd containerd-shim-runc-v2 ctr
enter_scratch_module build-containerd.sh "$DIR"

go mod download "$MOD@$VERSION" >&2
prefer_module_cache
export GOFLAGS="${GOFLAGS:-} -trimpath" GOBIN="$scratch/bin"

echo "build-containerd.sh: building containerd $VERSION" >&2
go install -tags urfave_cli_no_docs -ldflags "$LDFLAGS" "$MOD/cmd/containerd@$VERSION" "$MOD/cmd/ctr@$VERSION" >&2
CGO_ENABLED=0 go install -tags "urfave_cli_no_docs no_grpc" -ldflags "$LDFLAGS" "$MOD/cmd/containerd-shim-runc-v2@$VERSION" >&2
mv "$scratch/bin/containerd" "$scratch/bin/ctr" "$scratch/bin/containerd-shim-runc-v2" "$DIR/"
echo "$DIR"
