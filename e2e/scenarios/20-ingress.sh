# Rule ingress-node-pool on the real upstream controller manifests.

ingress_nginx_is_pinned() {
  local out
  ensure_namespace ingress-nginx
  out=$(kubectl apply -f "$(fixture ingress-nginx-controller-deployment.yaml)" 2>&1)
  expect_contains "$out" "[ingress-node-pool]" "kubectl warning"
  expect_eq "$(jsonpath deployment ingress-nginx-controller ingress-nginx '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" \
    ingress "pool selector"
  expect_eq "$(jsonpath deployment ingress-nginx-controller ingress-nginx '{.spec.template.spec.nodeSelector.kubernetes\.io/os}')" \
    linux "the controller's own selector is kept"
}
scenario "ingress-nginx controller Deployment is stored with the pool nodeSelector, kubernetes.io/os kept" ingress_nginx_is_pinned

contour_envoy_is_pinned() {
  ensure_namespace projectcontour
  kubectl apply -f "$(fixture contour-envoy-daemonset.yaml)" >/dev/null 2>&1
  expect_eq "$(jsonpath daemonset envoy projectcontour '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" \
    ingress "pool selector"
}
scenario "Contour's Envoy DaemonSet is stored with the pool nodeSelector" contour_envoy_is_pinned

other_pool_is_corrected() {
  ensure_namespace traefik
  kubectl apply -f "$(fixture traefik-deployment.yaml)" >/dev/null 2>&1
  kubectl patch deployment traefik -n traefik --type merge \
    -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.azure.com/agentpool":"user"}}}}}' >/dev/null 2>&1
  expect_eq "$(jsonpath deployment traefik traefik '{.spec.template.spec.nodeSelector.kubernetes\.azure\.com/agentpool}')" \
    ingress "a patch to another pool is corrected"
}
scenario "Traefik moved to another pool by kubectl patch is put back on the ingress pool" other_pool_is_corrected

ordinary_deployment_untouched() {
  local ns=$1 out
  out=$(kubectl apply -n "$ns" -f "$(fixture web-deployment.yaml)" 2>&1)
  expect_not_contains "$out" "sourceip-guard" "no warning"
  expect_eq "$(jsonpath deployment nginx-deployment "$ns" '{.spec.template.spec.nodeSelector}')" "" "no selector"
}
scenario "An ordinary Deployment is left alone" ordinary_deployment_untouched web
