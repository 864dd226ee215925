# Rule service-external-traffic-policy through kubectl apply.

services_lb_without_the_field_is_stored_local() {
  local ns=$1 out
  out=$(lb_service web "$ns" | kubectl apply -f - 2>&1)
  expect_contains "$out" "sourceip-guard: [service-external-traffic-policy] set spec.externalTrafficPolicy=Local" "kubectl warning"
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "stored policy"
  # the API server allocated the health check port that Local needs
  [[ -n $(jsonpath service web "$ns" '{.spec.healthCheckNodePort}') ]] || fail "no healthCheckNodePort"
}
scenario "LoadBalancer Service without externalTrafficPolicy is stored with Local" services_lb_without_the_field_is_stored_local svc

services_explicit_cluster_becomes_local() {
  local ns=$1
  lb_service web "$ns" Cluster | kubectl apply -f - >/dev/null 2>&1
  expect_eq "$(jsonpath service web "$ns" '{.spec.externalTrafficPolicy}')" Local "stored policy"
}
scenario "LoadBalancer Service with externalTrafficPolicy: Cluster is stored with Local" services_explicit_cluster_becomes_local svc

services_already_local_is_unchanged() {
  local ns=$1 out before after
  lb_service web "$ns" Local | kubectl apply -f - >/dev/null 2>&1
  before=$(jsonpath service web "$ns" '{.metadata.resourceVersion}')
  out=$(lb_service web "$ns" Local | kubectl apply -f - 2>&1)
  expect_contains "$out" "unchanged" "re-apply"
  expect_not_contains "$out" "sourceip-guard" "no warning for a compliant Service"
  after=$(jsonpath service web "$ns" '{.metadata.resourceVersion}')
  expect_eq "$after" "$before" "resourceVersion"
}
scenario "A Service that is already Local is stored unchanged" services_already_local_is_unchanged svc

services_clusterip_untouched() {
  local ns=$1 out
  out=$(kubectl apply -n "$ns" -f "$(fixture clusterip-service.yaml)" 2>&1)
  expect_not_contains "$out" "sourceip-guard" "no warning"
  expect_eq "$(jsonpath service my-service "$ns" '{.spec.externalTrafficPolicy}')" "" "ClusterIP has no policy"
}
scenario "A ClusterIP Service is left alone" services_clusterip_untouched svc

services_real_nodeport_fixture() {
  local ns=$1
  kubectl apply -n "$ns" -f "$(fixture nodeport-service.yaml)" >/dev/null 2>&1
  expect_eq "$(jsonpath service my-service "$ns" '{.spec.externalTrafficPolicy}')" Local "NodePort policy"
}
scenario "A NodePort Service (upstream docs manifest) is stored with Local" services_real_nodeport_fixture svc
