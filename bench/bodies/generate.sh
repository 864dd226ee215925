#!/usr/bin/env bash
# Writes the AdmissionReview bodies the benchmarks send (bench/README.md), from the fixtures in
# src/test/resources/fixtures/manifests/; the output is deterministic and committed: rerun after changing a fixture.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
fixtures=$root/src/test/resources/fixtures/manifests
for tool in kubectl jq; do
  command -v "$tool" >/dev/null || { echo "bench/bodies/generate.sh: needs $tool on PATH" >&2; exit 1; }
done

to_json() {
  # --local: no API server, no discovery; an empty merge patch leaves the object as written.
  KUBECONFIG=/dev/null kubectl patch --local --type merge -p '{}' -o json -f "$1"
}

# review UID GROUP VERSION KIND RESOURCE < object.json
review() {
  jq -cS --arg uid "$1" --arg group "$2" --arg version "$3" --arg kind "$4" --arg resource "$5" '
    (.metadata.namespace // "default") as $ns
    | .metadata.namespace = $ns
    | {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: $uid,
          kind: {group: $group, version: $version, kind: $kind},
          resource: {group: $group, version: $version, resource: $resource},
          requestKind: {group: $group, version: $version, kind: $kind},
          requestResource: {group: $group, version: $version, resource: $resource},
          name: .metadata.name,
          namespace: $ns,
          operation: "CREATE",
          userInfo: {username: "alice", groups: ["system:authenticated"]},
          object: .,
          oldObject: null,
          dryRun: false,
          options: {apiVersion: "meta.k8s.io/v1", kind: "CreateOptions"}
        }
      }'
}

to_json "$fixtures/traefik-service.yaml" \
  | review 0b6d7a3e-0001-4c1e-9d2a-5e1f00000001 "" v1 Service services >"$here/service-mutate.json"
to_json "$fixtures/ingress-nginx-controller-deployment.yaml" \
  | review 0b6d7a3e-0002-4c1e-9d2a-5e1f00000002 apps v1 Deployment deployments >"$here/ingress-mutate.json"
to_json "$fixtures/aks-azure-ip-masq-agent-config.yaml" \
  | review 0b6d7a3e-0003-4c1e-9d2a-5e1f00000003 "" v1 ConfigMap configmaps >"$here/masq-denied.json"
# The covering variant: every destination but the two that answer only the node keeps pod IPs, so
# the default policy is satisfied; the list is AKS's own eBPF config, the fix the denials name.
complete=$(to_json "$fixtures/../ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml" | jq -r '.data.config')
to_json "$fixtures/aks-azure-ip-masq-agent-config.yaml" \
  | jq --arg config "$complete" '.data["ip-masq-agent"] = $config' \
  | review 0b6d7a3e-0004-4c1e-9d2a-5e1f00000004 "" v1 ConfigMap configmaps >"$here/masq-allowed.json"
to_json "$fixtures/web-deployment.yaml" \
  | review 0b6d7a3e-0005-4c1e-9d2a-5e1f00000005 apps v1 Deployment deployments >"$here/web-unhandled.json"

for f in service-mutate ingress-mutate masq-denied masq-allowed web-unhandled; do
  printf '%s\t%s bytes\n' "bench/bodies/$f.json" "$(wc -c <"$here/$f.json")" >&2
done
