# The shipped Kustomize overlays render, and the API server accepts them (server-side dry-run of each; the stack
# applies self-signed for real, and 75-real-install applies audit).

manifests_render_and_dry_run() {
  local out o
  out=$("$root/k8s/check.sh" 2>&1) || { echo "$out"; return 1; }
  # every API server the suite runs is 1.28 or later: the overlays with matchConditions are dry-run too
  for o in legacy local self-signed audit; do
    expect_contains "$out" "ok   server dry-run $o (" "k8s/check.sh dry-runs $o"
  done
  if policies_served; then
    expect_contains "$out" "ok   server dry-run admission-policies (" "k8s/check.sh dry-runs admission-policies"
  fi
}
scenario "k8s/ overlays render and pass a server-side dry-run (legacy, local, self-signed, audit; admission-policies from 1.36) on the real API server" manifests_render_and_dry_run
