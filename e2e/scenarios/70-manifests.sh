# The shipped Kustomize overlays render, and the API server accepts them (server-side dry-run: a real apply
# would replace the local overlay's webhook configurations, which have the same names, for the scenarios after it).

manifests_render_and_dry_run() {
  local out o
  out=$("$root/k8s/check.sh" 2>&1) || { echo "$out"; return 1; }
  # every API server the suite runs is 1.28 or later: the overlays with matchConditions are dry-run too
  for o in legacy local self-signed audit; do
    expect_contains "$out" "ok   server dry-run $o (" "k8s/check.sh dry-runs $o"
  done
}
scenario "k8s/ overlays render and pass a server-side dry-run (legacy, local, self-signed, audit) on the real API server" manifests_render_and_dry_run
