# shellcheck shell=bash
# What bench/peers/NAME.sh share (sourced, not run): a peer policy engine out of cluster against an e2e stack's API
# server, as its own ServiceAccount's user. Outside bench/peers/, where every script is a peer.

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck disable=SC2034 # read by bench/peers/NAME.sh: its policy file lies beside it
peers_dir=$sig_root/bench/peers

# peer_stack STACKDIR: the stack's admin kubeconfig, and its release's kubectl first on PATH; sets stack.
peer_stack() {
  [[ -f $1/cluster.env && -f $1/kubeconfig ]] || sig::die "no API server in $1; start one with: e2e/stack.sh up $1"
  stack=$(cd "$1" && pwd)
  export KUBECONFIG=$stack/kubeconfig
  PATH=$(sed -n 's/^KUBE_BIN_DIR=//p' "$stack/cluster.env"):$PATH
}

# peer_source MODULE@VERSION: the module's source directory (downloaded by scripts/peer-build.sh), whose install
# manifests, CRDs and RBAC are applied as they are.
peer_source() {
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/sourceip-guard/go/mod
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin # where scripts/peer-build.sh found it
  GOFLAGS=-mod=mod GOMODCACHE=$cache GOTOOLCHAIN=local go mod download -json "$1" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# peer_docs FILE KIND[/NAME]...: the documents of FILE with these kinds, as one JSON List (bench/peer-manifests.py).
peer_docs() { python3 "$sig_root/bench/peer-manifests.py" docs "$@"; }

# peer_apply FILE|-: kubectl apply, server-side (CRDs too large for the last-applied annotation).
peer_apply() {
  kubectl apply --server-side --force-conflicts --field-manager=sourceip-guard-bench -f "$1" >/dev/null
}

# peer_aggregate ROLE...: each ClusterRole gets the rules its aggregationRule selects (bench/peer-manifests.py).
peer_aggregate() {
  local role
  for role in "$@"; do
    kubectl get clusterroles -o json | python3 "$sig_root/bench/peer-manifests.py" aggregate "$role" |
      kubectl patch clusterrole "$role" --type=merge --patch-file=/dev/stdin >/dev/null
  done
}

# peer_serving_cert DIR: a self-signed ECDSA P-256 serving certificate for 127.0.0.1 (the key type the webhook's
# own `certs` command issues) in DIR/tls.crt and DIR/tls.key; its certificate is its own caBundle.
peer_serving_cert() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -sha256 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -addext extendedKeyUsage=serverAuth \
    -keyout "$1/tls.key" -out "$1/tls.crt" 2>/dev/null
}

# peer_wait_local NAME TIMEOUT_S: returns once the API server, creating a LoadBalancer Service (server-side dry
# run: every admission webhook is called, nothing is stored), answers with externalTrafficPolicy Local.
peer_local() {
  [[ $(kubectl create service loadbalancer peer-ready --tcp=80:8080 --dry-run=server \
    -o jsonpath='{.spec.externalTrafficPolicy}') == Local ]]
}
peer_wait_local() {
  local pid
  pid=$(<"$stack/$1.pid")
  sig::wait_for "$1" "$pid" "$stack/$1.log" "$2" peer_local
  sig::log "$1 ready: a LoadBalancer Service comes back Local (pid $pid)"
}

# peer_main "$@": the NAME.sh interface, calling its up and down functions.
peer_main() {
  if (($# != 2)) || [[ $1 != up && $1 != down ]]; then sig::die "usage: $0 up|down STACKDIR"; fi
  peer_stack "$2"
  # An up that fails leaves nothing behind: no engine running, no webhook pointing at it.
  # shellcheck disable=SC2154 # rc is assigned inside the trap
  if [[ $1 == up ]]; then trap 'rc=$?; if ((rc != 0)); then peer_down; fi; exit $rc' EXIT; fi
  "peer_$1"
}

# peer_delete_policy CRD FILE: deletes the policy of FILE, if its CRD was ever installed (down after a failed up).
peer_delete_policy() {
  kubectl get crd "$1" >/dev/null 2>&1 || return 0
  kubectl delete -f "$2" --ignore-not-found >/dev/null
}
