#!/usr/bin/env bash
# Builds runc ${RUNC_VERSION:-v1.4.0} from the github.com/opencontainers/runc Go
# module into ${CRI_TS_CACHE:-/var/cache/cri-ts}/runc/VERSION/runc (skipped when
# it is there) and prints that directory. The tests configure it as a second
# runtime handler (runc-userns): Debian's runc 1.1.5 has no idmapped mounts,
# which CRI user namespaces need (runc 1.2 and later have them). Cold (empty
# module and build caches): 1m22s on 2 cores; 41 s with a used Go build cache.
#
# Quirks:
# - seccomp needs cgo and libseccomp's headers (Debian's libseccomp-dev, in
#   scripts/install-deps.sh's test packages) and the build tag `seccomp`, as
#   runc's Makefile builds it (plus urfave_cli_no_docs, as there).
# - the version comes from the module's embedded VERSION file; the commit
#   (main.gitCommit) is unknown to a module build, so the version tag stands in.
# - the Go module proxy here answers 403 for `@v/list`, so the module cache is
#   put in front of it (file://), as in test/critest/build-tools.sh.
set -euo pipefail

VERSION=${RUNC_VERSION:-v1.4.0}
DIR=${CRI_TS_CACHE:-/var/cache/cri-ts}/runc/$VERSION
MOD=github.com/opencontainers/runc

. "$(dirname "$0")/../go-module-build.sh"
exit_if_built "$DIR" runc
[ -f /usr/include/seccomp.h ] || { echo "build-runc.sh: libseccomp's headers are missing (apt-get install libseccomp-dev)" >&2; exit 1; }
enter_scratch_module build-runc.sh "$DIR"

go mod download "$MOD@$VERSION" >&2
prefer_module_cache
echo "build-runc.sh: building runc $VERSION" >&2
CGO_ENABLED=1 GOBIN="$scratch/bin" go install -trimpath -tags "seccomp urfave_cli_no_docs" \
  -ldflags "-X main.gitCommit=$VERSION" "$MOD@$VERSION" >&2
mv "$scratch/bin/runc" "$DIR/runc"
echo "$DIR"
