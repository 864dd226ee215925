package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.ClusterView.NodeMeta;
import java.util.List;
import java.util.Locale;

/**
 * How pods reach destinations outside the nodes, which decides what the masquerade rule can
 * ask for. Only where pod IPs are routable (flat Azure CNI) does leaving them unmasqueraded
 * show the firewall a per-pod source; on overlay and kubenet networks it cuts egress, and with
 * a pod subnet the pod IP is the source whatever the agent does.
 */
public enum PodNetwork {
    /** Pod IPs are addresses of the VNet (flat Azure CNI): the field report's fix works. */
    ROUTABLE,
    /** Pod IPs exist only inside the cluster (Azure CNI Overlay, Cilium overlay, kubenet). */
    OVERLAY,
    /** Pods take addresses of their own subnet (Azure CNI pod subnet, static block): nothing to enforce. */
    POD_SUBNET;

    // AKS's node labels, as AKS sets them (Azure/karpenter-provider-azure's node label tests and
    // Azure/azure-container-networking's troubleshooting guide): overlay, vnet (dynamic pod
    // subnet) and vnetblock (static block allocation).
    static final String OVERLAY_LABEL = "kubernetes.azure.com/azure-cni-overlay";
    static final String POD_NETWORK_TYPE = "kubernetes.azure.com/podnetwork-type";

    /** The configuration's spelling: routable, overlay, pod-subnet. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses the configuration's spelling; null for anything else. */
    public static PodNetwork parse(String text) {
        for (PodNetwork network : values()) {
            if (network.label().equals(text)) {
                return network;
            }
        }
        return null;
    }

    /** The pod network the nodes show, and which nodes said so. */
    public record Detected(PodNetwork network, String evidence) {}

    /**
     * Reads the network from the nodes; null when there are none to read. Mixed clusters are
     * judged by their most fragile nodes: one overlay node is enough for overlay, because
     * its pods would lose egress under a config written for the others.
     */
    public static Detected detect(List<NodeMeta> nodes) {
        if (nodes.isEmpty()) {
            return null;
        }
        NodeMeta overlay = null;
        NodeMeta kubenet = null;
        NodeMeta routable = null;
        NodeMeta podSubnet = null;
        for (NodeMeta node : nodes) {
            String type = node.labels().get(POD_NETWORK_TYPE);
            if ("true".equals(node.labels().get(OVERLAY_LABEL)) || "overlay".equals(type)) {
                overlay = overlay == null ? node : overlay;
            } else if ("vnet".equals(type) || "vnetblock".equals(type)) {
                podSubnet = podSubnet == null ? node : podSubnet;
            } else if (!node.podCidrs().isEmpty()) {
                kubenet = kubenet == null ? node : kubenet;
            } else {
                routable = routable == null ? node : routable;
            }
        }
        if (overlay != null) {
            return new Detected(
                    OVERLAY,
                    "node " + overlay.name() + " is labelled " + POD_NETWORK_TYPE + "=overlay or " + OVERLAY_LABEL
                            + "=true");
        }
        if (kubenet != null) {
            return new Detected(
                    OVERLAY, "node " + kubenet.name() + " has spec.podCIDR and no AKS pod network label (kubenet)");
        }
        if (routable != null) {
            return new Detected(
                    ROUTABLE,
                    "node " + routable.name() + " has no pod CIDR and no overlay or pod subnet label"
                            + " (flat Azure CNI)");
        }
        return new Detected(
                POD_SUBNET,
                "node " + podSubnet.name() + " is labelled " + POD_NETWORK_TYPE + "="
                        + podSubnet.labels().get(POD_NETWORK_TYPE));
    }
}
