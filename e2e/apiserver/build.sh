#!/usr/bin/env bash
# Prints the path of a kube-apiserver binary for the end-to-end harness.
#
# No prebuilt Kubernetes binary can be downloaded where this project is built
# (only Debian's package mirror, Maven Central and npm are reachable), so the
# API server is compiled from Debian bookworm's `kubernetes` source package
# (upstream v1.20.2 with a full vendor/ tree) with Debian's Go 1.19.
#
# The result is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard/,
# keyed on the sha256 of this script: a cold build takes several minutes, a
# warm call prints the cached path at once. Editing this script invalidates
# the cache.
#
# Environment:
#   KUBE_APISERVER  path of an existing kube-apiserver binary; skips the build.
#
# Only the binary path goes to stdout; progress goes to stderr, so callers can
# write  apiserver=$(e2e/apiserver/build.sh)
set -euo pipefail

log() { printf '[apiserver/build] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ -n ${KUBE_APISERVER:-} ]]; then
  [[ -x $KUBE_APISERVER ]] || die "KUBE_APISERVER=$KUBE_APISERVER is not an executable file"
  printf '%s\n' "$KUBE_APISERVER"
  exit 0
fi

script=$(readlink -f "${BASH_SOURCE[0]}")
key=$(sha256sum "$script" | cut -c1-16)
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard
binary=$cache_dir/kube-apiserver-v1.20.2-$key

if [[ -x $binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi

mkdir -p "$cache_dir"
# Two concurrent callers (e.g. two test runs) must not both spend minutes
# building; the second one waits here and then finds the cached binary.
exec 9>"$cache_dir/build.lock"
flock 9
if [[ -x $binary ]]; then
  printf '%s\n' "$binary"
  exit 0
fi

# --- packages ----------------------------------------------------------------

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)

# `apt-get source` needs a deb-src entry. Derive it from the machine's own
# deb822 sources (same mirror, suites and key) for the release we run on,
# rather than naming a mirror here. Sets need_update when it adds one.
ensure_deb_src() {
  if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes$'; then
    return 0
  fi
  local codename entries list=/etc/apt/sources.list.d/sourceip-guard-deb-src.sources
  codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
  entries=$(awk -v codename="$codename" '
    BEGIN { RS = ""; FS = "\n" }   # one deb822 stanza per record
    {
      types = ""; suites = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/)  types = $i
        if ($i ~ /^Suites:/) suites = $i
      }
      if (types ~ /[: ]deb( |$)/ && suites ~ ("[: ]" codename "( |$)")) {
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^#/) continue
          print ($i ~ /^Types:/ ? "Types: deb-src" : $i)
        }
        print ""
      }
    }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $entries ]] || die "no deb822 source for '$codename' in /etc/apt/sources.list.d/*.sources to derive a deb-src entry from"
  log "adding deb-src entry $list"
  printf '%s\n' "$entries" | "${sudo[@]}" tee "$list" >/dev/null
  need_update=true
}

# Build tools; the package lists are refreshed once, and only when needed.
missing=()
for p in golang-go rsync make dpkg-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=false
((${#missing[@]} == 0)) || need_update=true
ensure_deb_src
if $need_update; then
  log "apt-get update"
  "${sudo[@]}" apt-get update -q >&2
fi
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# --- build -------------------------------------------------------------------

start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/sourceip-guard-apiserver.XXXXXX")
# The tree is ~2 GB by the end: remove it however we leave.
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
# As root, apt downloads as the unprivileged _apt user, which must be able to
# write here (otherwise it warns and downloads as root).
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
cd "$work"

log "fetching Debian source package kubernetes into $work"
apt-get source -q kubernetes >&2
src=$(find . -maxdepth 1 -type d -name 'kubernetes-1.20.*' | head -n1)
[[ -n $src ]] || die "apt-get source kubernetes did not unpack a kubernetes-1.20.* tree (did Debian change the version?)"

# The vendored github.com/modern-go/reflect2 v1.0.1 is broken under Go >= 1.18:
# json-iterator then panics (nil pointer in reflect.mapiterinit) whenever the
# API server decodes a mutating webhook's JSONPatch response. Swap in 1.0.2
# from Debian's package; it has the same API and no dependencies.
log "replacing vendored reflect2 v1.0.1 with Debian's 1.0.2"
apt-get download -q golang-github-modern-go-reflect2-dev >&2
dpkg-deb -x golang-github-modern-go-reflect2-dev_*.deb reflect2-deb
new_reflect2=reflect2-deb/usr/share/gocode/src/github.com/modern-go/reflect2
grep -q 'mapiterinit' "$new_reflect2/go_above_118.go" \
  || die "unexpected golang-github-modern-go-reflect2-dev contents (want 1.0.2)"
old_reflect2=$src/vendor/github.com/modern-go/reflect2
find "$old_reflect2" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
find "$new_reflect2" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
  -exec cp -t "$old_reflect2" {} +
sed -i 's|github.com/modern-go/reflect2 v1.0.1|github.com/modern-go/reflect2 v1.0.2|g' "$src/vendor/modules.txt"

log "building cmd/kube-apiserver (several minutes on 2 cores)"
# Kubernetes' own make path builds in GOPATH mode (hack/lib/init.sh sets
# GO111MODULE=off); `go build -mod=vendor` does not work with Go 1.19 on this
# tree. It also generates pkg/generated/openapi (needs rsync). GOPROXY=off
# guarantees nothing is fetched; the Go build cache lives in _output/ and is
# deleted with the tree. -s -w leaves out the symbol table and DWARF.
(
  cd "$src"
  unset GOFLAGS GOPATH GOBIN
  export GOPROXY=off CGO_ENABLED=0 GOLDFLAGS='-s -w'
  make WHAT=cmd/kube-apiserver >&2
)
built=$src/_output/bin/kube-apiserver
[[ -x $built ]] || die "make finished but $built is missing"

cp -L "$built" "$binary.tmp.$$"
mv -f "$binary.tmp.$$" "$binary"
# Binaries built by older versions of this script are dead weight.
find "$cache_dir" -maxdepth 1 -name 'kube-apiserver-v1.20.2-*' ! -name "${binary##*/}" -delete
log "built $("$binary" --version) in $(($(date +%s) - start)) s -> $binary"
printf '%s\n' "$binary"
