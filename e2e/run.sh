#!/usr/bin/env bash
# make e2e: e2e/stack.sh up, every scenario in e2e/scenarios/ (E2E_SCENARIOS, a glob), down; prints
# "Kubernetes vX.Y.Z: N passed, N failed", exit 1 on any failure. E2E_KUBERNETES and the rest: e2e/README.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The kubectl of that release, which the scenarios run.
PATH=$("$root/scripts/kube-build.sh"):$PATH
dir=${E2E_DIR:-$root/target/e2e/run}
# shellcheck source=e2e/lib.sh
source "$root/e2e/lib.sh"

trap '"$root/e2e/stack.sh" down "$dir" >/dev/null 2>&1 || true' EXIT
"$root/e2e/stack.sh" up "$dir"
export KUBECONFIG=$dir/kubeconfig
webhook_log=$dir/webhook.log
export E2E_STACK=$dir

for file in "$root"/e2e/scenarios/${E2E_SCENARIOS:-*}.sh; do
  printf -- '-- %s\n' "$(basename "$file" .sh)"
  # shellcheck disable=SC1090
  source "$file"
done

if ((failed > 0)); then
  printf 'failed: %s\n' "${failures[@]}"
  printf 'logs: %s\n' "$dir"
fi
# kube-apiserver --version prints "Kubernetes vX.Y.Z".
printf '%s: %d passed, %d failed\n' "$(kube-apiserver --version)" "$passed" "$failed"
((failed == 0))
