#!/usr/bin/env bash
# The offline report over N generated objects, timed over 3 runs:   bench/report.sh [N]   (bench/README.md)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
n=${1:-10000}
app=$sig_jar
[[ -f $app ]] || sig::die "no $app; run: make build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for ((i = 0; i < n; i++)); do
  case $((i % 3)) in
    0) printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: ns-%d}\nspec:\n  type: LoadBalancer\n  selector: {app: a%d}\n  ports: [{port: 80, targetPort: 8080}]\n' "$i" $((i % 50)) "$i" ;;
    1) printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ingress-%d\n  namespace: ns-%d\n  labels: {app.kubernetes.io/name: ingress-nginx, app.kubernetes.io/component: controller}\nspec:\n  selector: {matchLabels: {app: i%d}}\n  template:\n    metadata: {labels: {app: i%d}}\n    spec:\n      nodeSelector: {kubernetes.io/os: linux}\n      containers: [{name: controller, image: "registry.k8s.io/ingress-nginx/controller:v1.11.2"}]\n' "$i" $((i % 50)) "$i" "$i" ;;
    2) printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-%d, namespace: ns-%d, labels: {app: web}}\nspec:\n  selector: {matchLabels: {app: w%d}}\n  template:\n    metadata: {labels: {app: w%d}}\n    spec:\n      containers: [{name: web, image: "nginx:1.27"}]\n' "$i" $((i % 50)) "$i" "$i" ;;
  esac
done >"$work/objects.yaml"
printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: azure-ip-masq-agent-config, namespace: kube-system}\ndata:\n  ip-masq-agent: |\n    nonMasqueradeCIDRs: [10.0.0.0/8]\n' >>"$work/objects.yaml"

echo "objects: $((n + 1)) in $(du -h "$work/objects.yaml" | cut -f1) of YAML; $(nproc) cores; load $(cut -d' ' -f1 /proc/loadavg)"
for run in 1 2 3; do
  start=$(date +%s%N)
  set +e
  java -Xmx512m -XX:+UseSerialGC -jar "$app" report -f "$work/objects.yaml" -o json >"$work/out.json"
  rc=$?
  set -e
  end=$(date +%s%N)
  [[ $rc == 1 ]] || sig::die "unexpected exit code $rc"
  printf 'run %d: %d ms (exit %d, %s findings)\n' "$run" $(((end - start) / 1000000)) "$rc" \
    "$(grep -c '"rule"' "$work/out.json")"
done
