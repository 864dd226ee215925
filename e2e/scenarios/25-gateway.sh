# Gateway API data planes, controllers that reconcile their objects back, and allow-lists that would see node IPs.
# The Gateway API CRDs are not installed here: only the core objects the controllers create are applied.

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
  local ns=$1 out
  out=$(sed "s/^  namespace: .*/  namespace: $ns/" "$root/src/test/resources/fixtures/allowlists/field-report-ingress-nginx-service.yaml" |
    sed -e '/loadBalancerIP:/d' -e '/nodePort:/d' | kubectl apply -f - 2>&1)
  # Helm writes only on install and upgrade, and each write comes through the webhook: patched, no loop
  expect_eq "$(jsonpath service ingress-nginx-controller "$ns" '{.spec.externalTrafficPolicy}')" Local "patched"
  expect_contains "$out" "Helm release ingress/ingress-nginx installed it: set the chart value too" "kubectl warning names the release"
}
scenario "A Helm-installed ingress-nginx Service is patched to Local, with the chart value named" helm_release_service_is_patched helm

# field_report_service NAMESPACE [LABEL]: the field report's ingress-nginx Service in NAMESPACE, with an extra label.
field_report_service() {
  sed -e "s/^  namespace: .*/  namespace: $1/" -e '/loadBalancerIP:/d' -e '/nodePort:/d' \
    -e "s#^  labels:#  labels:${2:+\\n    $2}#" \
    "$root/src/test/resources/fixtures/allowlists/field-report-ingress-nginx-service.yaml"
}

allow_list_behind_cluster_is_warned() {
  local ns=$1
  # One ingress-nginx install, as in the field report: an Ingress does not name its controller's Service, so with
  # several installs that disagree the rule can only note it (the earlier scenarios left some behind).
  kubectl delete service -A -l app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller >/dev/null
  # The Service stays Cluster, as in the field report: an admin exempted it from the Service rule.
  field_report_service "$ns" "sourceip-guard.io/exempt: service-external-traffic-policy" | kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service ingress-nginx-controller "$ns" '{.spec.externalTrafficPolicy}')" Cluster "exempt, so Cluster"
  # The link the cluster makes: the Ingress's class nginx, its controller k8s.io/ingress-nginx, the ingress-nginx
  # Deployment serving that value (--controller-class), the Service selecting its pods.
  kubectl apply -f "$root/src/test/resources/fixtures/allowlists/ingress-nginx-ingressclass.yaml" >/dev/null
  sed "s/^  namespace: .*/  namespace: $ns/" "$(fixture ingress-nginx-controller-deployment.yaml)" | kubectl apply -f - >/dev/null 2>&1
  ingress_warns() {
    local out
    out=$(sed "s/^  namespace: .*/  namespace: $ns/" "$root/src/test/resources/fixtures/allowlists/field-report-ingress-whitelist.yaml" |
      kubectl apply -f - 2>&1)
    [[ $out == *"[allow-list-source-ip]"*"(IngressClass nginx, controller k8s.io/ingress-nginx → Deployment $ns/ingress-nginx-controller) will see node IPs"* ]]
  }
  # the informers see the new Service, IngressClass and Deployment within moments
  eventually 20 ingress_warns >/dev/null || fail "no allow-list warning naming the IngressClass link on the Ingress"
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
  kubectl delete -f "$root/src/test/resources/fixtures/allowlists/ingress-nginx-ingressclass.yaml" >/dev/null
}
scenario "An Ingress whitelist behind a Cluster Service, linked through its IngressClass, is admitted with a warning, behind Local silently" \
  allow_list_behind_cluster_is_warned allow

istio_class_defaults_are_written_back() {
  local out before report patch
  ensure_namespace aks-istio-system
  before=$(reviews_seen 'endpoint="mutate",kind="ConfigMap"')
  out=$(kubectl apply -f "$(fixture istio-gateway-class-defaults-configmap.yaml)" 2>&1)
  expect_contains "$out" "[gateway-config] set externalTrafficPolicy: Local in the service overlay, set nodeSelector" \
    "kubectl warning names both overlays"
  expect_eq "$(kubectl get configmap istio-gateway-class-defaults -n aks-istio-system -o jsonpath='{.data.service}')" \
    $'spec:\n  externalTrafficPolicy: Local' "the service overlay Istio merges into every Gateway Service of the class"
  # The webhook's patch (as the report computes it) applied by kubectl patch --local to the manifest gives what the API
  # server stored: every other key, label and overlay field kept.
  report=$(java -jar "$root/target/quarkus-app/quarkus-run.jar" report -f "$(fixture istio-gateway-class-defaults-configmap.yaml)" \
    -o json) || [[ $? -eq 1 ]] || fail "report failed" # 1: something would be mutated
  patch=$(jq -c '.results[] | select(.rule == "gateway-config") | .patch' <<<"$report")
  expect_eq "$(kubectl patch --local -f "$(fixture istio-gateway-class-defaults-configmap.yaml)" --type json -p "$patch" -o json |
    jq -S '{data, labels: .metadata.labels}')" \
    "$(kubectl get configmap istio-gateway-class-defaults -n aks-istio-system -o json | jq -S '{data, labels: .metadata.labels}')" \
    "kubectl patch --local with the webhook's patch gives the stored object"
  expect_contains "$(kubectl get configmap istio-gateway-class-defaults -n aks-istio-system -o jsonpath='{.data.deployment}')" \
    'test.azureservicemesh.io/deployment-config: "updated"' "the user's own overlay field kept, as written"
  # A ConfigMap without an Istio overlay never reaches the webhook: the matchCondition keeps it away.
  kubectl create configmap plain -n aks-istio-system --from-literal=settings=x >/dev/null
  expect_eq "$(reviews_seen 'endpoint="mutate",kind="ConfigMap"')" "$((before + 1))" "only the Istio ConfigMap was sent"
  kubectl delete configmap istio-gateway-class-defaults plain -n aks-istio-system >/dev/null
}
scenario "Istio's class-default ConfigMap gets externalTrafficPolicy Local and the ingress pool in its overlays, all else kept" \
  istio_class_defaults_are_written_back

# The Gateway API and SecurityPolicy kinds (e2e/gateway-crds.yaml); the webhook sees them appear and caches Gateways
# and routes (it asks again, at most every 30 s, whether a kind it did not find is served now).
gateway_crds() {
  kubectl apply -f "$root/e2e/gateway-crds.yaml" >/dev/null
  kubectl wait --for condition=established --timeout=30s crd/gateways.gateway.networking.k8s.io \
    crd/httproutes.gateway.networking.k8s.io crd/securitypolicies.gateway.envoyproxy.io >/dev/null
}

istio_gateway_parametersref_configmap_is_written_back() {
  gateway_crds
  kubectl apply -f "$(fixture istio-gateway-with-parametersref.yaml)" >/dev/null
  options_patched() {
    local out
    # server-side: a client-side apply of an unchanged manifest sends nothing, so the webhook would not be asked again
    out=$(kubectl apply --server-side --force-conflicts -f "$(fixture istio-gateway-options-configmap.yaml)" 2>&1)
    [[ $out == *"[gateway-config] set externalTrafficPolicy: Local in the service overlay"*"(read by Istio for Gateway default/gateway)"* ]]
  }
  # the Gateway informer starts once the webhook sees the CRD served
  eventually 60 options_patched >/dev/null || fail "gw-options, named by the Gateway's parametersRef, was not patched"
  local service
  service=$(kubectl get configmap gw-options -n default -o jsonpath='{.data.service}')
  expect_contains "$service" 'externalTrafficPolicy: Local' "the service overlay"
  expect_contains "$service" '"$patch": delete' "the strategic merge directive kept"
  kubectl delete configmap gw-options -n default >/dev/null
  kubectl delete -f "$(fixture istio-gateway-with-parametersref.yaml)" >/dev/null
}
scenario "The ConfigMap a Gateway's parametersRef names gets the Istio overlays, its merge directives kept" \
  istio_gateway_parametersref_configmap_is_written_back

security_policy_on_a_route_is_followed_to_its_gateway() {
  gateway_crds
  ensure_namespace envoy-gateway-system
  # Envoy Gateway's Service for Gateway default/eg, left Cluster (Envoy Gateway reconciles it: the webhook warns, never
  # patches); the testdata's ports are 0 and its port names uppercase (the unit-test renderer's), which the API server refuses
  sed -e 's/owning-gateway-name: default/owning-gateway-name: eg/' -e 's/externalTrafficPolicy: Local/externalTrafficPolicy: Cluster/' \
    -e '0,/port: 0$/s//port: 80/' -e 's/port: 0$/port: 443/' -e 's/name: envoy-EnvoyHTTPPort-d76a15e2/name: http/' \
    -e 's/name: envoy-EnvoyHTTPSPort-6658f727/name: https/' "$(fixture envoy-gateway-proxy-service.yaml)" |
    kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service envoy-default-37a8eec1 envoy-gateway-system '{.spec.externalTrafficPolicy}')" Cluster "as its controller wrote it"
  kubectl apply -f "$root/src/test/resources/fixtures/allowlists/envoy-gateway-quickstart-httproute.yaml" >/dev/null
  policy_warns() {
    local out
    out=$(kubectl apply --server-side --force-conflicts \
      -f "$root/src/test/resources/fixtures/allowlists/envoy-gateway-securitypolicy-client-ip.yaml" 2>&1)
    [[ $out == *"[allow-list-source-ip]"*"(HTTPRoute backend → Gateway default/eg) will see node IPs"*"envoy-gateway-system/envoy-default-37a8eec1"* ]]
  }
  eventually 60 policy_warns >/dev/null || fail "no allow-list warning on the SecurityPolicy that targets an HTTPRoute"
  kubectl delete securitypolicy authorization-client-ip -n default >/dev/null
  kubectl delete httproute backend -n default >/dev/null
  kubectl delete service envoy-default-37a8eec1 -n envoy-gateway-system >/dev/null
}
scenario "A SecurityPolicy's clientCIDRs on an HTTPRoute are followed to its Gateway's Cluster Service and warned" \
  security_policy_on_a_route_is_followed_to_its_gateway
