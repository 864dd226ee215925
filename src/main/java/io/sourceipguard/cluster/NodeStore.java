package io.sourceipguard.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.sourceipguard.policy.ClusterView.NodeMeta;
import io.sourceipguard.policy.ClusterView.Taint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Node informer's store, keeping only what the rules read: labels, taints and pod CIDRs.
 * A Node's status (images, conditions, addresses) is most of its size; a large cluster's Nodes
 * would otherwise cost megabytes that no rule looks at.
 */
final class NodeStore extends SlimStore<Node, NodeMeta> {

    @Override
    Node slim(Node node) {
        ObjectMeta meta = node.getMetadata();
        NodeSpec spec = node.getSpec() == null ? new NodeSpec() : node.getSpec();
        return new NodeBuilder()
                .withNewMetadata()
                .withName(meta.getName())
                .withUid(meta.getUid())
                .withResourceVersion(meta.getResourceVersion())
                .withLabels(meta.getLabels())
                .endMetadata()
                .withNewSpec()
                .withPodCIDR(spec.getPodCIDR())
                .withPodCIDRs(spec.getPodCIDRs())
                .withTaints(spec.getTaints())
                .endSpec()
                .build();
    }

    @Override
    NodeMeta view(Node node) {
        return meta(node);
    }

    /** Every Node as the rules see it. */
    List<NodeMeta> nodes() {
        return snapshot();
    }

    static NodeMeta meta(Node node) {
        NodeSpec spec = node.getSpec() == null ? new NodeSpec() : node.getSpec();
        List<String> podCidrs = new ArrayList<>();
        if (spec.getPodCIDRs() != null) {
            podCidrs.addAll(spec.getPodCIDRs());
        }
        if (podCidrs.isEmpty()
                && spec.getPodCIDR() != null
                && !spec.getPodCIDR().isEmpty()) {
            podCidrs.add(spec.getPodCIDR());
        }
        List<Taint> taints = new ArrayList<>();
        if (spec.getTaints() != null) {
            spec.getTaints()
                    .forEach(t -> taints.add(new Taint(
                            t.getKey(),
                            t.getValue() == null ? "" : t.getValue(),
                            t.getEffect() == null ? "" : t.getEffect())));
        }
        Map<String, String> labels = node.getMetadata().getLabels();
        return new NodeMeta(node.getMetadata().getName(), labels == null ? Map.of() : labels, taints, podCidrs);
    }
}
