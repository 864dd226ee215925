#!/usr/bin/env bash
# Prints the directory holding kube-apiserver, kubectl, etcd and agnhost of one pinned Kubernetes release,
# building them first if they are not cached: how, where and how long in e2e/README.md, "Where the binaries
# come from". The end-to-end harness runs the first three; the benchmarks run agnhost as the peer.
#
#   scripts/kube-build.sh            the directory
#   scripts/kube-build.sh kubectl    one binary's path
#   scripts/kube-build.sh --cached [TOOL]
#                                    the same, but only if already built: exit 3
#                                    (and print nothing) instead of building
#
# Environment:
#   E2E_KUBERNETES  the Kubernetes minor version: 1.37 (default, the newest
#                   release that builds with Go 1.26) or 1.34
#   KUBE_BIN_DIR    a directory with these four binaries; skips the build
#
# Only the path goes to stdout; progress goes to stderr, so callers can write
#   bin=$(scripts/kube-build.sh)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"

# The newest patch release of each supported minor version, newest first.
declare -A releases=([1.37]=v1.37.2 [1.34]=v1.34.4)
newest=1.37
tools=(kube-apiserver kubectl etcd agnhost)

cached_only=false
if [[ ${1:-} == --cached ]]; then cached_only=true; shift; fi
tool=${1:-}
[[ -z $tool || " ${tools[*]} " == *" $tool "* ]] || sig::die "unknown tool '$tool' (one of: ${tools[*]})"

# Prints the directory, or the tool's path in it, and leaves.
answer() {
  printf '%s\n' "$1${tool:+/$tool}"
  exit 0
}
complete() {
  local t
  for t in "${tools[@]}"; do [[ -x $1/$t ]] || return 1; done
}

if [[ -n ${KUBE_BIN_DIR:-} ]]; then
  complete "$KUBE_BIN_DIR" || sig::die "KUBE_BIN_DIR=$KUBE_BIN_DIR lacks one of: ${tools[*]}"
  answer "$KUBE_BIN_DIR"
fi

minor=${E2E_KUBERNETES:-$newest}
minor=${minor#v}
version=${releases[$minor]:-}
[[ -n $version ]] || sig::die "E2E_KUBERNETES=$minor: supported are ${!releases[*]}"

script=$(readlink -f "${BASH_SOURCE[0]}")
key=$(sig::script_key "$script")
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard
bin=$cache_dir/kubernetes-$version-$key

complete "$bin" && answer "$bin"
$cached_only && exit 3

mkdir -p "$cache_dir"
# A second concurrent caller waits here, then finds the cached binaries.
exec 9>"$cache_dir/kube-build.lock"
flock 9
complete "$bin" && answer "$bin"

# Go's installation instructions put it in /usr/local/go.
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || sig::die "no go on PATH nor in /usr/local/go/bin (scripts/require-tools.sh e2e says how to get it)"

# --- build -------------------------------------------------------------------

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-kube-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
export GOTOOLCHAIN=local GOFLAGS='-mod=mod -modcacherw' CGO_ENABLED=0
export GOMODCACHE=$cache_dir/go/mod GOCACHE=$work/go-build
cd "$work"

sig::log "resolving k8s.io/kubernetes@$version ($(go env GOVERSION))"
go mod init kubebuild >/dev/null 2>&1
download=$(go mod download -json "k8s.io/kubernetes@$version")
field() { sed -n "s/^\t\"$1\": \"\(.*\)\",\$/\1/p" <<<"$download"; }
gomod=$(field GoMod) src=$(field Dir)
[[ -f $gomod && -d $src ]] || sig::die "go mod download k8s.io/kubernetes@$version: $download"
staging=$(sed -n 's|^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/.*|\1|p' "$gomod")
[[ -n $staging ]] || sig::die "no ./staging replace lines in k8s.io/kubernetes@$version's go.mod"
edits=(-require "k8s.io/kubernetes@$version")
for m in $staging; do edits+=(-replace "$m=$m@v0.${version#v1.}"); done
go mod edit "${edits[@]}"

# What Kubernetes' hack/lib/version.sh stamps, so `kubectl version` and the
# API server's /version report the release; and agnhost's own version, as its
# Makefile stamps it (no other of the four main packages has a main.Version).
vars=(gitVersion="$version" gitMajor="${minor%%.*}" gitMinor="${minor#*.}" gitTreeState=clean)
ldflags=(-s -w "-X=main.Version=$(<"$src/test/images/agnhost/VERSION")")
for v in "${vars[@]}"; do
  ldflags+=("-X=k8s.io/component-base/version.$v" "-X=k8s.io/client-go/pkg/version.$v")
done

sig::log "building ${tools[*]} $version (about 5 minutes on 2 cores)"
mkdir out
go build -p 2 -trimpath -ldflags="${ldflags[*]}" -o out/ \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kubectl \
  k8s.io/kubernetes/test/images/agnhost \
  go.etcd.io/etcd/server/v3 >&2
mv out/server out/etcd   # go names a binary after its package path, major version suffix dropped
complete out || sig::die "go build finished without all of: ${tools[*]}"

rm -rf "$bin.tmp.$$"
mv out "$bin.tmp.$$"
mv -T "$bin.tmp.$$" "$bin"
# Binaries built by older versions of this script are dead weight.
find "$cache_dir" -maxdepth 1 -name "kubernetes-$version-*" ! -name "${bin##*/}" -exec rm -rf {} +
sig::log "built $version in $(($(date +%s) - start)) s -> $bin"
sig::log "  $("$bin/kube-apiserver" --version); etcd $("$bin/etcd" --version | sed -n 's/^etcd Version: //p')"
answer "$bin"
