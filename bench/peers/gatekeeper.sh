#!/usr/bin/env bash
# Gatekeeper's controller manager out of cluster as a mutation webhook against an e2e stack's API server:
#   bench/peers/gatekeeper.sh up|down STACKDIR
# What is applied and why: bench/README.md, "Peers".
set -euo pipefail
# shellcheck source=bench/peer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../peer-lib.sh"

version=v3.23.1   # as scripts/peer-build.sh pins it
ns=gatekeeper-system
sa=gatekeeper-admin
mwc=gatekeeper-mutating-webhook-configuration

peer_up() {
  local bin src manifest port health prom
  bin=$("$sig_root/scripts/peer-build.sh" gatekeeper)
  src=$(peer_source "github.com/open-policy-agent/gatekeeper/v3@$version")
  manifest=$src/deploy/gatekeeper.yaml
  [[ -f $manifest ]] || sig::die "no $manifest"

  peer_docs "$manifest" CustomResourceDefinition >"$stack/gatekeeper-crds.json"
  peer_apply "$stack/gatekeeper-crds.json"
  kubectl wait --for=condition=Established --timeout=60s -f "$stack/gatekeeper-crds.json" >/dev/null
  peer_docs "$manifest" Namespace ServiceAccount ClusterRole Role ClusterRoleBinding RoleBinding | peer_apply -
  "$sig_root/e2e/cluster.sh" user "$stack" gatekeeper \
    "/O=system:serviceaccounts/O=system:serviceaccounts:$ns/CN=system:serviceaccount:$ns:$sa"
  peer_serving_cert "$stack/gatekeeper-certs"

  sig::free_port port
  sig::free_port health
  sig::free_port prom
  echo "$port" >"$stack/gatekeeper.port"
  sig::log "starting gatekeeper $version on https://127.0.0.1:$port as system:serviceaccount:$ns:$sa"
  # The Deployment's arguments and environment but for the ones bench/README.md ("Peers") names and why.
  sig::launch "$stack" gatekeeper env POD_NAMESPACE="$ns" NAMESPACE="$ns" CONTAINER_NAME=manager \
    KUBECONFIG="$stack/gatekeeper.kubeconfig" \
    "$bin" --host=127.0.0.1 --port="$port" --cert-dir="$stack/gatekeeper-certs" --disable-cert-rotation \
    --health-addr="127.0.0.1:$health" --prometheus-port="$prom" --shutdown-delay=0 --debug-use-fake-pod \
    --logtostderr --exempt-namespace="$ns" --operation=mutation-webhook --disable-opa-builtin='{http.send}'

  peer_docs "$manifest" MutatingWebhookConfiguration |
    python3 "$sig_root/e2e/point-webhooks.py" "https://127.0.0.1:$port" "$(base64 -w0 <"$stack/gatekeeper-certs/tls.crt")" |
    peer_apply -
  peer_apply "$peers_dir/gatekeeper-assign.yaml"
  peer_wait_local gatekeeper "${PEER_START_TIMEOUT:-180}"
}

peer_down() {
  sig::stop_pidfile "$stack" gatekeeper
  kubectl delete mutatingwebhookconfiguration "$mwc" --ignore-not-found >/dev/null
  peer_delete_policy assign.mutations.gatekeeper.sh "$peers_dir/gatekeeper-assign.yaml"
  sig::log "gatekeeper stopped, its webhook configuration and the mutator removed"
}

peer_main "$@"
