#!/usr/bin/env bash
# Builds kubelet ${KUBELET_VERSION:-v1.37.2} from the k8s.io/kubernetes Go module
# into ${CRI_TS_CACHE:-/var/cache/cri-ts}/kubelet/VERSION/kubelet (skipped when
# it is there) and prints that directory. Cold: about 9 minutes on 2 busy cores.
#
# Quirks:
# - `go install k8s.io/kubernetes/cmd/kubelet@V` refuses the module: its go.mod
#   replaces the staging modules (k8s.io/api, client-go, ...) with ./staging
#   paths. A scratch wrapper module requires k8s.io/kubernetes and replaces each
#   staging module with its published twin, v1.X.Y -> v0.X.Y; the list is read
#   from kubernetes' own go.mod in the module cache (33 modules in v1.37).
# - the Go module proxy here answers 403 for `@v/list`, so the module cache is
#   put in front of it (file://), as in test/critest/build-tools.sh.
# - without version ldflags `kubelet --version` prints "Kubernetes v0.0.0-master+$Format:%H$".
set -euo pipefail

VERSION=${KUBELET_VERSION:-v1.37.2}
STAGING=v0.${VERSION#v1.}
DIR=${CRI_TS_CACHE:-/var/cache/cri-ts}/kubelet/$VERSION

. "$(dirname "$0")/../go-module-build.sh"
exit_if_built "$DIR" kubelet
enter_scratch_module build-kubelet.sh "$DIR"

GOMOD=$(go mod download -json "k8s.io/kubernetes@$VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
mapfile -t staging < <(sed -nE 's#^(replace)?[[:space:]]*([^[:space:]]+)[[:space:]]+=>[[:space:]]+\./staging/.*#\2#p' "$GOMOD")
[ ${#staging[@]} -gt 0 ] || { echo "build-kubelet.sh: no staging replaces found in $GOMOD" >&2; exit 1; }
prefer_module_cache
export GOFLAGS="${GOFLAGS:-} -trimpath"

echo "build-kubelet.sh: building kubelet $VERSION (${#staging[@]} staging modules at $STAGING)" >&2
go mod init kubelet-build >/dev/null 2>&1
for m in "${staging[@]}"; do go mod edit -replace="$m=$m@$STAGING"; done
go get "k8s.io/kubernetes/cmd/kubelet@$VERSION" >&2

major=${VERSION#v}; major=${major%%.*}
minor=${VERSION#v*.}; minor=${minor%%.*}
LDFLAGS=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $p.gitVersion=$VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
go build -ldflags "$LDFLAGS" -o "$scratch/kubelet" k8s.io/kubernetes/cmd/kubelet >&2
mv "$scratch/kubelet" "$DIR/kubelet"
echo "$DIR"
