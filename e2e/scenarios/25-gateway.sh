# Gateway API data planes, controllers that reconcile their objects back, and allow-lists that would see node IPs.
# The Gateway API CRDs are not installed here: only the core objects the controllers create are applied.

ensure_namespace() { # the upstream manifests name their own namespace
  kubectl get namespace "$1" >/dev/null 2>&1 || kubectl create namespace "$1" >/dev/null
}

envoy_gateway_proxy_is_steered_not_patched() {
  local out
  ensure_namespace envoy-gateway-system
  out=$(kubectl apply -f "$(fixture envoy-gateway-proxy-deployment.yaml)" 2>&1)
  expect_contains "$out" "[ingress-node-pool] left unpinned: Envoy Gateway reconciles it" "kubectl warning names the source"
  expect_contains "$out" "EnvoyProxy" "... and the object to set"
  expect_eq "$(jsonpath deployment envoy-default-37a8eec1 envoy-gateway-system '{.spec.template.spec.nodeSelector}')" "" \
    "stored as Envoy Gateway wrote it"
}
scenario "Envoy Gateway's proxy Deployment is recognised, left as its controller writes it, and the EnvoyProxy named" \
  envoy_gateway_proxy_is_steered_not_patched

cilium_envoy_is_reported_not_pinned() {
  local out
  out=$(kubectl apply -f "$(fixture cilium-envoy-daemonset.yaml)" 2>&1)
  expect_contains "$out" "cannot be pinned" "kubectl warning"
  expect_eq "$(jsonpath daemonset cilium-envoy kube-system '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" "" \
    "no pool selector"
  kubectl delete -f "$(fixture cilium-envoy-daemonset.yaml)" >/dev/null 2>&1 || true
}
scenario "Cilium's per-node Envoy DaemonSet is reported, never pinned" cilium_envoy_is_reported_not_pinned

helm_release_service_is_patched() {
  local ns out
  ns=$(new_namespace helm)
  out=$(sed "s/^  namespace: .*/  namespace: $ns/" "$root/src/test/resources/fixtures/allowlists/field-report-ingress-nginx-service.yaml" |
    sed -e '/loadBalancerIP:/d' -e '/nodePort:/d' | kubectl apply -f - 2>&1)
  # Helm writes only on install and upgrade, and each write comes through the webhook: patched, no loop
  expect_eq "$(jsonpath service ingress-nginx-controller "$ns" '{.spec.externalTrafficPolicy}')" Local "patched"
  expect_contains "$out" "Helm release ingress/ingress-nginx installed it: set the chart value too" "kubectl warning names the release"
}
scenario "A Helm-installed ingress-nginx Service is patched to Local, with the chart value named" helm_release_service_is_patched

# field_report_service NAMESPACE [LABEL]: the field report's ingress-nginx Service in NAMESPACE, with an extra label.
field_report_service() {
  sed -e "s/^  namespace: .*/  namespace: $1/" -e '/loadBalancerIP:/d' -e '/nodePort:/d' \
    -e "s#^  labels:#  labels:${2:+\\n    $2}#" \
    "$root/src/test/resources/fixtures/allowlists/field-report-ingress-nginx-service.yaml"
}

allow_list_behind_cluster_is_warned() {
  local ns
  ns=$(new_namespace allow)
  # One ingress-nginx install, as in the field report: an Ingress does not name its controller's Service, so with
  # several installs that disagree the rule can only note it (the earlier scenarios left some behind).
  kubectl delete service -A -l app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller >/dev/null
  # The Service stays Cluster, as in the field report: an admin exempted it from the Service rule.
  field_report_service "$ns" "sourceip-guard.io/exempt: service-external-traffic-policy" | kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service ingress-nginx-controller "$ns" '{.spec.externalTrafficPolicy}')" Cluster "exempt, so Cluster"
  ingress_warns() {
    local out
    out=$(sed "s/^  namespace: .*/  namespace: $ns/" "$root/src/test/resources/fixtures/allowlists/field-report-ingress-whitelist.yaml" |
      kubectl apply -f - 2>&1)
    [[ $out == *"[allow-list-source-ip]"*"will see node IPs"* ]]
  }
  # the Service informer sees the new Service within moments
  eventually 10 ingress_warns >/dev/null || fail "no allow-list warning on the Ingress"
  [[ -n $(kubectl get ingress weather -n "$ns" -o name 2>/dev/null) ]] || fail "the Ingress was not admitted"
  # its Local counterpart passes silently
  kubectl label service ingress-nginx-controller -n "$ns" sourceip-guard.io/exempt- >/dev/null
  kubectl patch service ingress-nginx-controller -n "$ns" --type merge -p '{"spec":{"externalTrafficPolicy":"Local"}}' >/dev/null
  ingress_silent() {
    local out
    out=$(sed "s/^  namespace: .*/  namespace: $ns/" "$root/src/test/resources/fixtures/allowlists/field-report-ingress-whitelist.yaml" |
      kubectl apply -f - 2>&1)
    [[ $out != *"[allow-list-source-ip]"* ]]
  }
  eventually 10 ingress_silent >/dev/null || fail "the allow-list warning stays behind a Local Service"
}
scenario "An Ingress whitelist behind a Cluster Service is admitted with a warning, behind Local silently" allow_list_behind_cluster_is_warned
