# Never the cause of an outage: the rules read the Nodes (pod network, node pools, taints). The stack starts
# with two flat Azure CNI Nodes (e2e/nodes.yaml); each scenario relabels them and puts them back. The webhook's
# Node cache sees a change a moment after the API server stores it, hence `eventually`.

masq_user() { # masq_user CIDR...: the user's config with these CIDRs (masq_config of 30-masquerade.sh)
  masq_config azure-ip-masq-agent-config ip-masq-agent "$@"
}

never_break_overlay() {
  # AKS reconciles the pod CIDR into its own config on overlay clusters
  kubectl apply -f "$(fixture aks-azure-ip-masq-agent-config-reconciled-overlay.yaml)" >/dev/null 2>&1
  kubectl label node aks-system-0 kubernetes.azure.com/podnetwork-type=overlay kubernetes.azure.com/azure-cni-overlay=true >/dev/null
  # AKS's own shape is stored once the webhook sees an overlay node (on a routable network it is refused)
  eventually 15 kubectl apply -f "$(masq_user 10.244.0.0/16)" >/dev/null
  # the field report's fix would cut egress here: refused, and the fix keeps only the pod range
  # shellcheck disable=SC2046
  expect_refused kubectl apply -f "$(masq_user $(complete_list))"
  expect_contains "$refusal" "outside the cluster's own ranges (10.244.0.0/16), which cuts the pods' egress there" "egress"
  expect_contains "$refusal" "kubernetes.azure.com/static-gateway-configuration" "what gives stable source IPs instead"
  expect_contains "$refusal" "The complete fix: set data key 'ip-masq-agent' to nonMasqueradeCIDRs: [10.244.0.0/16] (1 block)." "fix"
  kubectl label node aks-system-0 kubernetes.azure.com/podnetwork-type- kubernetes.azure.com/azure-cni-overlay- >/dev/null
  # back on a routable network the complete list is stored again
  # shellcheck disable=SC2046
  eventually 15 kubectl apply -f "$(masq_user $(complete_list))" >/dev/null
}
scenario "Overlay nodes: AKS's own config is stored, stopping masquerade beyond the pod range is refused" never_break_overlay

never_break_pod_subnet() {
  kubectl label node aks-system-0 aks-ingress-0 kubernetes.azure.com/podnetwork-type=vnet >/dev/null
  # with a pod subnet the pod IP is the source whatever the agent does: coverage is not demanded
  eventually 15 kubectl apply -f "$(masq_user 10.0.0.0/8)" >/dev/null
  kubectl label node aks-system-0 aks-ingress-0 kubernetes.azure.com/podnetwork-type- >/dev/null
  # shellcheck disable=SC2046
  eventually 15 kubectl apply -f "$(masq_user $(complete_list))" >/dev/null
}
scenario "Pod subnet nodes: a config without coverage is stored" never_break_pod_subnet

# The object as the API server would store it after admission (a dry-run create: nothing is stored).
would_store() { kubectl create --dry-run=server -o json -f "$1"; }

pool_selector() {
  python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["template"]["spec"].get("nodeSelector",{}).get("kubernetes.azure.com/agentpool",""))'
}

unpinned() { local out; out=$(would_store "$1") && [[ $(pool_selector <<<"$out") == "" ]]; }
pinned_tolerating() { local out; out=$(would_store "$1") && [[ $(pool_selector <<<"$out") == ingress && $out == *'"key": "dedicated"'* ]]; }
pinned_untainted() { local out; out=$(would_store "$1") && [[ $(pool_selector <<<"$out") == ingress && $out != *'"key": "dedicated"'* ]]; }

never_break_missing_pool() {
  local ns=$1 file probe out
  file=$(mktemp --suffix=.yaml)
  probe=$(mktemp --suffix=.yaml)
  sed "s/^  namespace: ingress-nginx$/  namespace: $ns/" "$(fixture ingress-nginx-controller-deployment.yaml)" >"$file"
  sed 's/^  name: ingress-nginx-controller$/  name: ingress-nginx-controller-probe/' "$file" >"$probe"
  kubectl label node aks-ingress-0 kubernetes.azure.com/agentpool=user --overwrite >/dev/null
  eventually 15 unpinned "$probe" >/dev/null
  out=$(kubectl create -f "$file" 2>&1)
  expect_contains "$out" "[ingress-node-pool] left unpinned: no node carries kubernetes.azure.com/agentpool=ingress" "kubectl warning"
  expect_eq "$(jsonpath deployment ingress-nginx-controller "$ns" '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" \
    "" "stored unpinned"
  # the pool appears, tainted for ingress only: the next rollout pins and tolerates
  kubectl apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: aks-ingress-1
  labels: {kubernetes.azure.com/agentpool: ingress}
spec:
  taints: [{key: dedicated, value: ingress, effect: NoSchedule}]
EOF
  eventually 15 pinned_tolerating "$probe" >/dev/null
  kubectl patch deployment ingress-nginx-controller -n "$ns" --type merge \
    -p '{"spec":{"template":{"metadata":{"annotations":{"e2e/rollout":"1"}}}}}' >/dev/null 2>&1
  expect_eq "$(jsonpath deployment ingress-nginx-controller "$ns" '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" \
    ingress "pinned once the pool exists"
  expect_eq "$(jsonpath deployment ingress-nginx-controller "$ns" '{.spec.template.spec.tolerations[?(@.key=="dedicated")].value}')" \
    ingress "tolerates the pool's taint"
  # back to the stack's pool, untainted
  kubectl delete node aks-ingress-1 >/dev/null
  kubectl label node aks-ingress-0 kubernetes.azure.com/agentpool=ingress --overwrite >/dev/null
  eventually 15 pinned_untainted "$probe" >/dev/null
}
scenario "No node in the ingress pool: stored unpinned with the fix; pinned and tolerating once the pool exists" never_break_missing_pool pool
