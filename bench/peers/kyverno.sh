#!/usr/bin/env bash
# Kyverno's admission controller out of cluster against an e2e stack's API server (kyverno-cel.sh is a link to this
# file, with the MutatingPolicy):   bench/peers/NAME.sh up|down STACKDIR
# What is applied and why: bench/README.md, "Peers".
set -euo pipefail
# shellcheck source=bench/peer-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../peer-lib.sh"

version=v1.19.1   # as scripts/peer-build.sh pins it
name=$(basename "$0" .sh)
policy=$peers_dir/$name-policy.yaml
declare -A policy_crds=([kyverno]=clusterpolicies.kyverno.io [kyverno-cel]=mutatingpolicies.policies.kyverno.io)
[[ -n ${policy_crds[$name]:-} ]] || sig::die "unknown Kyverno peer '$name' (kyverno or kyverno-cel)"
ns=kyverno
sa=kyverno-admission-controller

peer_up() {
  local bin src manifest port metrics
  bin=$("$sig_root/scripts/peer-build.sh" kyverno)
  src=$(peer_source "github.com/kyverno/kyverno@$version")
  manifest=$src/config/install-latest-testing.yaml
  [[ -f $manifest ]] || sig::die "no $manifest"

  find "$src/config/crds" -name '*.yaml' -exec cat {} + >"$stack/kyverno-crds.yaml"
  peer_apply "$stack/kyverno-crds.yaml"
  kubectl wait --for=condition=Established --timeout=60s -f "$stack/kyverno-crds.yaml" >/dev/null
  peer_docs "$manifest" "Namespace/$ns" "ServiceAccount/$sa" ConfigMap/kyverno ConfigMap/kyverno-metrics \
    ClusterRole/kyverno:admission-controller ClusterRole/kyverno:admission-controller:core \
    ClusterRole/kyverno:rbac:view:policies ClusterRole/kyverno:rbac:view:policyreports \
    ClusterRole/kyverno:rbac:view:reports ClusterRole/kyverno:rbac:view:updaterequests \
    ClusterRoleBinding/kyverno:admission-controller ClusterRoleBinding/kyverno:admission-controller:view \
    Role/kyverno:admission-controller RoleBinding/kyverno:admission-controller | peer_apply -
  # Kyverno's admission controller role and the bootstrap "view" role it is also bound to are aggregated.
  peer_aggregate kyverno:admission-controller view
  "$sig_root/e2e/cluster.sh" user "$stack" "$name" \
    "/O=system:serviceaccounts/O=system:serviceaccounts:$ns/CN=system:serviceaccount:$ns:$sa"

  sig::free_port port
  sig::free_port metrics
  echo "$port" >"$stack/$name.port"
  sig::log "starting $name (kyverno $version) on https://127.0.0.1:$port as system:serviceaccount:$ns:$sa"
  # The Deployment's environment and arguments but for the ones bench/README.md ("Peers") names and why.
  sig::launch "$stack" "$name" env KYVERNO_NAMESPACE="$ns" KYVERNO_POD_NAME="$sa-bench" KYVERNO_SERVICEACCOUNT_NAME="$sa" \
    KYVERNO_ROLE_NAME=kyverno:admission-controller KYVERNO_DEPLOYMENT="$sa" KYVERNO_SVC=kyverno-svc \
    INIT_CONFIG=kyverno METRICS_CONFIG=kyverno-metrics \
    "$bin" --kubeconfig="$stack/$name.kubeconfig" \
    --serverIP="127.0.0.1:$port" --webhookServerHost=127.0.0.1 --webhookServerPort="$port" \
    --metricsHost=127.0.0.1 --metricsPort="$metrics" --controllerRuntimeMetricsAddress=0 \
    --caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca --tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair \
    --tlsKeyAlgorithm=RSA --servicePort=443 --resyncPeriod=15m --crdWatcher=false --otelConfig=prometheus \
    --admissionReports=false --autoUpdateWebhooks=true --enableConfigMapCaching=true --enableDeferredLoading=true \
    --forceFailurePolicyIgnore=false --generateValidatingAdmissionPolicy=false --generateMutatingAdmissionPolicy=false \
    --maxAPICallResponseLength=2000000 --apiCallTimeout=30s --loggingFormat=text --disableLogColor --v=2 \
    --omitEvents=PolicyApplied,PolicySkipped --enablePolicyException=false --protectManagedResources=false \
    --allowInsecureRegistry=false --enableReporting=validate,mutate,mutateExisting,imageVerify,generate
  peer_apply "$policy"
  peer_wait_local "$name" "${PEER_START_TIMEOUT:-180}"
}

peer_down() {
  sig::stop_pidfile "$stack" "$name"
  kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration \
    -l webhook.kyverno.io/managed-by=kyverno --ignore-not-found >/dev/null
  peer_delete_policy "${policy_crds[$name]}" "$policy"
  sig::log "$name stopped, its webhook configurations and the policy removed"
}

peer_main "$@"
