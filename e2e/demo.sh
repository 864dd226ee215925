#!/usr/bin/env bash
# make demo: the local API server wired to the webhook, left running; applies k8s/examples/ and
# shows what happened to each object. `make demo-stop` ends it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${DEMO_DIR:-$root/target/e2e/demo}
# The kubectl of the Kubernetes release the stack runs (E2E_KUBERNETES, scripts/kube-build.sh).
PATH=$("$root/scripts/kube-build.sh"):$PATH

"$root/e2e/stack.sh" up "$dir"
export KUBECONFIG=$dir/kubeconfig

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" 2>&1 | sed 's/^/  /' || true; }

for file in "$root"/k8s/examples/*.yaml; do
  printf '\n\033[1m== %s\033[0m\n' "${file#"$root"/}"
  grep '^#' "$file" | sed 's/^# \{0,1\}/  /' || true
  show kubectl apply -f "$file"
done

show kubectl get services -n demo -o custom-columns=NAME:.metadata.name,TYPE:.spec.type,EXTERNAL-TRAFFIC-POLICY:.spec.externalTrafficPolicy
show kubectl get deployments -n demo -o custom-columns=NAME:.metadata.name,NODE-SELECTOR:.spec.template.spec.nodeSelector
show kubectl get configmaps -n kube-system -o custom-columns=NAME:.metadata.name

cat <<TEXT

The demo cluster ($(kube-apiserver --version)) and the webhook keep running. Go on with its kubectl:

  eval "\$(e2e/cluster.sh env ${dir#"$root"/})"

Webhook log: $dir/webhook.log    Stop everything: make demo-stop
TEXT
