#!/usr/bin/env bash
# The whole local stack of make e2e and make demo: the API server (cluster.sh), the webhook as a local process, and
# k8s/overlays/self-signed applied for real, pointed at it (e2e/README.md). Needs make build.
#   e2e/stack.sh up|down DIR | replica DIR NAME [PORT] | register DIR PORT | install DIR OVERLAY
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh" # scripts/lib.sh, clear_admission
# The kubectl of the Kubernetes release under test (E2E_KUBERNETES), as cluster.sh runs its API server.
PATH=$("$root/scripts/kube-build.sh"):$PATH

(($# >= 2)) || sig::usage
mkdir -p "$2"
dir=$(cd "$2" && pwd)

up() {
  # The JVM and AOT cache of make run (scripts/find-java.sh): what the image runs.
  sig::use_app "$root/target/quarkus-app"
  "$root/e2e/cluster.sh" start "$dir"
  export KUBECONFIG=$dir/kubeconfig

  kubectl create namespace sourceip-guard >/dev/null # the webhook's own: its report Lease lives there

  # Node pools and the pod network the rules read: stored before the webhook starts, so its first list has them.
  kubectl apply -f "$root/e2e/nodes.yaml" >/dev/null

  # The webhook runs as its ServiceAccount's user, with exactly the RBAC that k8s/base grants.
  kubectl kustomize "$root/k8s/base" | python3 -c '
import sys
docs = sys.stdin.read().split("\n---\n")
print("\n---\n".join(d for d in docs if any("kind: " + k + "\n" in d + "\n" for k in
      ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"))))' | kubectl apply -f - >/dev/null

  sig::make_certs "$dir/webhook-certs" 2>/dev/null
  # The Secret a self-managed webhook reads, as an operator who brings their own CA stores it (e2e/README.md).
  kubectl create secret generic sourceip-guard-tls -n sourceip-guard --type=kubernetes.io/tls \
    --from-file="$dir/webhook-certs/" >/dev/null
  local port
  sig::free_port port
  start_webhook webhook "$port"
  install self-signed
}

# start_webhook NAME PORT: a webhook process on 127.0.0.1:PORT as the ServiceAccount's user, with its own copy of the
# serving pair (NAME-tls/, as a Pod's emptyDir); NAME.pid, .port, .log in DIR; returns once it is ready. NAME, made
# unique per start, is its identity for the Leases (HOSTNAME, as in a Pod): a restart is a new holder.
start_webhook() {
  local name=$1 port=$2 tls=$dir/$1-tls
  mkdir -p "$tls"
  cp "$dir/webhook-certs/tls.crt" "$dir/webhook-certs/tls.key" "$tls/"
  sig::log "starting $name on https://127.0.0.1:$port"
  # The certificate paths under DIR on its command line let cluster.sh stop recognise the process as ours.
  # shellcheck disable=SC2086 # E2E_WEBHOOK_OPTS: JVM options, word-split
  HOSTNAME=$name-$RANDOM KUBECONFIG=$dir/webhook.kubeconfig \
    sig::start_webhook "$port" "$tls" "$dir/$name.log" \
    -Dsourceip-guard.scan.interval="${E2E_SCAN_INTERVAL:-3s}" ${E2E_WEBHOOK_OPTS:-}
  echo "$sig_webhook_pid" >"$dir/$name.pid"
  echo "$port" >"$dir/$name.port"
  sig::wait_ready "$name" "$sig_webhook_pid" "$dir/$name.log" "https://127.0.0.1:$port/q/health/ready" "$dir/webhook-certs/ca.crt"
  sig::log "$name ready: $(grep -o 'started in [0-9.]*s' "$dir/$name.log" | tail -1 || true)"
}

# install OVERLAY [PORT]: k8s/overlays/OVERLAY applied for real, its webhooks pointed at the local process (the
# Deployment never runs: no kubelet); what the previous install registered is removed first (e2e/README.md).
install() {
  local overlay=$1 port=${2:-$(<"$dir/webhook.port")} ca
  ca=$(base64 -w0 <"$dir/webhook-certs/ca.crt")
  clear_admission
  kubectl kustomize "$root/k8s/overlays/$overlay" | kubectl create --dry-run=client -o json -f - |
    python3 "$root/e2e/point-webhooks.py" "https://127.0.0.1:$port" "$ca" >"$dir/install-$overlay.json"
  kubectl apply -f "$dir/install-$overlay.json" >/dev/null 2>"$dir/install-$overlay.err" || {
    cat "$dir/install-$overlay.err" >&2
    sig::die "kubectl apply of k8s/overlays/$overlay failed"
  }
  echo "$overlay" >"$dir/install"
  sig::log "installed k8s/overlays/$overlay, its webhooks calling https://127.0.0.1:$port"
}

# Points the installed webhook configurations (self-signed unless another was installed) at another port.
register() {
  install "$(cat "$dir/install" 2>/dev/null || echo self-signed)" "$1"
}

down() {
  "$root/e2e/cluster.sh" stop "$dir"
}

case $1 in
  up) up ;;
  down) down ;;
  replica)
    sig::use_app "$root/target/quarkus-app"
    port=${4:-}
    [[ -n $port ]] || sig::free_port port
    start_webhook "$3" "$port"
    ;;
  register) register "$3" ;;
  install)
    (($# == 3)) || sig::die "install needs an overlay: $0 install DIR OVERLAY"
    export KUBECONFIG=$dir/kubeconfig
    install "$3"
    ;;
  *) sig::die "unknown command $1 (up, down, replica, register or install)" ;;
esac
