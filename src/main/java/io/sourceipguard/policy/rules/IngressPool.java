package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.NodeMeta;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the Nodes say of the ingress pool, for every rule that pins to it: why pinning is withheld
 * ({@code null}: pin), the pool nodes' own taints to tolerate, and a note when the cluster was not checked.
 * A pin to a pool no node carries leaves every new pod Pending, so it is withheld then.
 */
record IngressPool(String withheld, List<IngressPoolSettings.Toleration> taints, String note) {

    static IngressPool of(IngressPoolSettings settings, ClusterView cluster) {
        String pool = settings.poolLabelKey() + "=" + settings.poolLabelValue();
        if (!cluster.hasCluster()) {
            return new IngressPool(
                    null,
                    List.of(),
                    "cluster facts were not checked (no Kubernetes API): pinned to " + pool
                            + " without knowing whether a node carries it");
        }
        Optional<List<NodeMeta>> nodes = cluster.nodes();
        if (nodes.isEmpty()) {
            return new IngressPool(
                    "the Nodes cannot be read yet, and a pin to a pool no node carries would leave every new"
                            + " pod Pending",
                    List.of(),
                    null);
        }
        List<NodeMeta> members = nodes.get().stream()
                .filter(n -> settings.poolLabelValue().equals(n.labels().get(settings.poolLabelKey())))
                .toList();
        if (members.isEmpty()) {
            return new IngressPool(
                    "no node carries " + pool + " (pinned pods would stay Pending); create that pool or set"
                            + " rules.ingress-node-pool.pool-label-value",
                    List.of(),
                    null);
        }
        Set<IngressPoolSettings.Toleration> taints = new LinkedHashSet<>();
        for (NodeMeta node : members) {
            for (ClusterView.Taint taint : node.taints()) {
                if (blocksScheduling(taint)) {
                    taints.add(new IngressPoolSettings.Toleration(taint.key(), taint.value(), taint.effect()));
                }
            }
        }
        return new IngressPool(null, List.copyOf(taints), null);
    }

    // The pool's own taints keep other pods away; the node.kubernetes.io/ ones are conditions
    // (not ready, cordoned, under pressure) that no ingress controller should ride through.
    private static boolean blocksScheduling(ClusterView.Taint taint) {
        return ("NoSchedule".equals(taint.effect()) || "NoExecute".equals(taint.effect()))
                && !taint.key().startsWith("node.kubernetes.io/")
                && !taint.key().startsWith("node.cloudprovider.kubernetes.io/");
    }
}
