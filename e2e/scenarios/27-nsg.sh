# report -o nsg over the cluster: which node subnets receive each LoadBalancer Service's traffic, from the Nodes and
# EndpointSlices the API server stores (created here with kubectl; nothing runs pods).

nsg_report() { # the NSG guidance of the whole cluster, as the admin reads it
  local java
  java=$("$root/scripts/find-java.sh" | head -1)
  "$java" -jar "$root/target/quarkus-app/quarkus-run.jar" report --cluster -o nsg
}

nsg_report_names_the_subnets() {
  local ns=$1 out
  kubectl label node aks-system-0 kubernetes.azure.com/network-subnet=aks-system --overwrite >/dev/null
  kubectl label node aks-ingress-0 kubernetes.azure.com/network-subnet=aks-ingress --overwrite >/dev/null
  lb_service local-web "$ns" | kubectl apply -f - >/dev/null 2>&1
  # an admin keeps the other one Cluster, as the field report found it
  lb_service cluster-web "$ns" Cluster | sed "s#^  namespace: .*#&\n  labels: {sourceip-guard.io/exempt: service-external-traffic-policy}#" |
    kubectl apply -f - >/dev/null 2>&1
  for svc in local-web cluster-web; do
    kubectl apply -f - >/dev/null <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $svc-1
  namespace: $ns
  labels: {kubernetes.io/service-name: $svc}
addressType: IPv4
ports: [{name: "", port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
  nodeName: aks-ingress-0
YAML
  done
  out=$(nsg_report)
  # Local: only the ingress subnet, whose node has the ready endpoint, gets the clients and the probe
  expect_contains "$out" "$ns/local-web" "the Local Service"
  [[ $(grep "^$ns/local-web " <<<"$out" | grep -c " aks-ingress .* clients ") == 1 ]] || fail "Local: clients to aks-ingress: $out"
  [[ $(grep "^$ns/local-web " <<<"$out" | grep " aks-system " | grep -c " none ") == 1 ]] || fail "Local: nothing to aks-system: $out"
  # Cluster: every node forwards, so every subnet needs the clients
  [[ $(grep "^$ns/cluster-web " <<<"$out" | grep -c " clients ") == 2 ]] || fail "Cluster: clients to both subnets: $out"
  expect_contains "$out" "az network nsg rule create" "the az command lines"
  kubectl label node aks-system-0 aks-ingress-0 kubernetes.azure.com/network-subnet- >/dev/null
}
scenario "report -o nsg over Nodes and EndpointSlices: Local reaches the ingress subnet only, Cluster every subnet" nsg_report_names_the_subnets nsg
