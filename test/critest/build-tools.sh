#!/usr/bin/env bash
# Builds crictl and critest of ${CRITEST_VERSION:-v1.37.0} from the
# sigs.k8s.io/cri-tools Go module into ${CRI_TS_CACHE:-/var/cache/cri-ts}/tools/VERSION/
# (skipped when both binaries are there) and prints that directory.
#
# Two quirks of these machines' Go module proxy:
# - it answers 403 for `@v/list`, which `go install pkg@version` reads to check
#   for deprecation, and fails on. The module cache holds a list once the module
#   is downloaded, so the cache is put in front of the proxy (file://) for go install.
# - critest is a test binary: the scratch module needs the test dependencies
#   (`go get -t .../cmd/critest@V`), a plain `go get sigs.k8s.io/cri-tools@V`
#   leaves go.sum without ginkgo. Checked with v1.36.0 and v1.37.0 (cold here:
#   2m12s for both binaries of v1.37.0).
# critest is a `go test` binary: `critest --version` ends with a "PASS" line.
set -euo pipefail

VERSION=${CRITEST_VERSION:-v1.37.0}
DIR=${CRI_TS_CACHE:-/var/cache/cri-ts}/tools/$VERSION
MOD=sigs.k8s.io/cri-tools
LDFLAGS="-X $MOD/pkg/version.Version=$VERSION"

. "$(dirname "$0")/../go-module-build.sh"
exit_if_built "$DIR" crictl critest
enter_scratch_module build-tools.sh "$DIR"

go mod download "$MOD@$VERSION" >&2
prefer_module_cache

if [ ! -x "$DIR/crictl" ]; then
  echo "build-tools.sh: building crictl $VERSION" >&2
  GOBIN="$scratch/bin" go install -ldflags "$LDFLAGS" "$MOD/cmd/crictl@$VERSION" >&2
  mv "$scratch/bin/crictl" "$DIR/crictl"
fi
if [ ! -x "$DIR/critest" ]; then
  echo "build-tools.sh: building critest $VERSION" >&2
  go mod init scratch >/dev/null 2>&1
  go get "$MOD@$VERSION" >&2
  go get -t "$MOD/cmd/critest@$VERSION" >&2
  go test -c -ldflags "$LDFLAGS" -o "$scratch/critest" "$MOD/cmd/critest" >&2
  mv "$scratch/critest" "$DIR/critest"
fi
echo "$DIR"
