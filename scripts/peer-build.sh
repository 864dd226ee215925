#!/usr/bin/env bash
# Prints the path of one peer policy engine's binary, building it first if it
# is not cached. The peers are the admission engines a user would pick instead
# of sourceip-guard; bench/peers/NAME.sh runs them against the e2e API server.
#
#   scripts/peer-build.sh kyverno|gatekeeper            the binary's path
#   scripts/peer-build.sh --cached kyverno|gatekeeper   the same, but only if
#                                                       already built: exit 3
#
# Both are compiled from the Go module proxy at a pinned release (no prebuilt
# binary or image can be downloaded where this project is built):
#   gatekeeper  `go install github.com/open-policy-agent/gatekeeper/v3@VERSION`
#               (its main package is the module root; its go.mod has no
#               replace directive, so go install accepts it)
#   kyverno     its go.mod replaces k8s.io/pod-security-admission with Kyverno's
#               fork, and `go install pkg@version` refuses a module with replace
#               directives; so, as scripts/kube-build.sh does for Kubernetes, a
#               throwaway module requires github.com/kyverno/kyverno@VERSION,
#               copies its replace lines and builds ./cmd/kyverno
# with the version stamped the way each project's Makefile stamps it.
#
# Cached under ${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard/peers-NAME-VERSION-KEY
# (KEY: the sha256 of this script, so editing it rebuilds), with the downloaded
# modules in go/mod next to the Kubernetes builds. Go's build cache lives in
# the temporary directory and goes with it. Only the path goes to stdout;
# progress, the build time and the binary's size go to stderr.
set -euo pipefail

log() { printf '[peer-build] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

declare -A modules=(
  [kyverno]=github.com/kyverno/kyverno
  [gatekeeper]=github.com/open-policy-agent/gatekeeper/v3
)
declare -A versions=([kyverno]=v1.19.1 [gatekeeper]=v3.23.1)

cached_only=false
if [[ ${1:-} == --cached ]]; then cached_only=true; shift; fi
name=${1:-}
[[ -n ${modules[$name]:-} ]] || die "usage: $0 [--cached] kyverno|gatekeeper"
module=${modules[$name]} version=${versions[$name]}

script=$(readlink -f "${BASH_SOURCE[0]}")
key=$(sha256sum "$script" | cut -c1-16)
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard
dir=$cache_dir/peers-$name-$version-$key
bin=$dir/$name

[[ -x $bin ]] && { printf '%s\n' "$bin"; exit 0; }
$cached_only && exit 3

mkdir -p "$cache_dir"
# A second concurrent caller waits here, then finds the cached binary.
exec 9>"$cache_dir/peer-build-$name.lock"
flock 9
[[ -x $bin ]] && { printf '%s\n' "$bin"; exit 0; }

command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || die "no go on PATH nor in /usr/local/go/bin (scripts/require-tools.sh e2e says how to get it)"

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-peer-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
export GOTOOLCHAIN=local GOFLAGS='-mod=mod -modcacherw' CGO_ENABLED=0
export GOMODCACHE=$cache_dir/go/mod GOCACHE=$work/go-build
cd "$work"
mkdir out

log "building $name $version with $(go env GOVERSION) (10-20 minutes on 2 cores)"
case $name in
  gatekeeper)
    # Gatekeeper's Makefile: LDFLAGS := "-X .../pkg/version.Version=$(VERSION)"
    GOBIN=$work/out go install -p 2 -trimpath \
      -ldflags="-s -w -X=$module/pkg/version.Version=$version" "$module@$version" >&2
    ;;
  kyverno)
    go mod init peerbuild >/dev/null 2>&1
    download=$(go mod download -json "$module@$version")
    gomod=$(sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p' <<<"$download")
    [[ -f $gomod ]] || die "go mod download $module@$version: $download"
    edits=(-require "$module@$version")
    # Single-line `replace A => B V` directives (the only form Kyverno uses).
    while read -r old new ver; do
      edits+=(-replace "$old=$new@$ver")
    done < <(sed -n 's/^replace \([^ ]*\) => \([^ ]*\) \([^ ]*\)$/\1 \2 \3/p' "$gomod")
    go mod edit "${edits[@]}"
    # Kyverno's Makefile: LD_FLAGS := "-s -w -X $(PACKAGE)/pkg/version.BuildVersion=$(VERSION)"
    go build -p 2 -trimpath -ldflags="-s -w -X=$module/pkg/version.BuildVersion=$version" \
      -o out/kyverno "$module/cmd/kyverno" >&2
    ;;
esac
# go install names the binary after the module path, major version suffix dropped.
[[ -x out/$name ]] || { ls out >&2; die "the build finished without out/$name"; }

rm -rf "$dir.tmp.$$"
mv out "$dir.tmp.$$"
mv -T "$dir.tmp.$$" "$dir"
# Binaries built by older versions of this script are dead weight.
find "$cache_dir" -maxdepth 1 -name "peers-$name-$version-*" ! -name "${dir##*/}" -exec rm -rf {} +
log "built $name $version in $(($(date +%s) - start)) s, $(du -m "$bin" | cut -f1) MB -> $bin"
printf '%s\n' "$bin"
