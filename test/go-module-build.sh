# Sourced by the scripts that build test tools from their Go module into a
# cache outside the repo, keyed by version (critest/build-tools.sh,
# kubelet/build-kubelet.sh, bench/build-containerd.sh).

# exit_if_built DIR BINARY...: prints DIR and ends the script when every binary is already there.
exit_if_built() {
  local dir=$1 binary
  shift
  for binary in "$@"; do [ -x "$dir/$binary" ] || return 0; done
  echo "$dir"
  exit 0
}

# enter_scratch_module WHO DIR: needs Go, makes DIR, and enters a scratch
# directory removed on exit.
enter_scratch_module() {
  command -v go >/dev/null || { echo "$1: Go is needed to build from the Go module registry" >&2; exit 1; }
  mkdir -p "$2"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cd "$scratch"
}

# prefer_module_cache: once the module is downloaded. The module proxy here
# answers 403 for `@v/list`, which `go install pkg@version` reads; with the
# module cache in front of it (file://), nothing more is asked of the proxy.
prefer_module_cache() {
  export GOPROXY="file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)"
}
