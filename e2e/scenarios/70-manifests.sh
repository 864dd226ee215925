# The shipped Kustomize overlays render, and the API server accepts them (server-side dry-run).

manifests_render_and_dry_run() {
  "$root/k8s/check.sh"
}
scenario "k8s/ overlays render and pass a server-side dry-run (legacy, local) on the real API server" manifests_render_and_dry_run
