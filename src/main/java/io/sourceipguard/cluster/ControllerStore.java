package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.sourceipguard.policy.ClusterView.ControllerMeta;
import java.util.List;
import java.util.function.Function;

/**
 * An informer store of Deployments or DaemonSets that keeps only ingress-nginx's controllers whole (their pod labels
 * and arguments link an Ingress to the Services in front of it); of every other workload only its identity.
 */
final class ControllerStore<T extends HasMetadata> extends SlimStore<T, ControllerMeta> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String kind;
    private final Function<ObjectMeta, T> identityOnly;

    ControllerStore(String kind, Function<ObjectMeta, T> identityOnly) {
        this.kind = kind;
        this.identityOnly = identityOnly;
    }

    @Override
    T slim(T workload) {
        if (view(workload) != null) {
            return workload;
        }
        ObjectMeta meta = workload.getMetadata();
        ObjectMeta kept = new ObjectMeta();
        kept.setName(meta.getName());
        kept.setNamespace(meta.getNamespace());
        kept.setUid(meta.getUid());
        kept.setResourceVersion(meta.getResourceVersion());
        return identityOnly.apply(kept);
    }

    @Override
    ControllerMeta view(T kept) {
        ObjectNode tree = JSON.valueToTree(kept);
        tree.put("kind", kind);
        return ControllerMeta.of(tree);
    }

    List<ControllerMeta> controllers() {
        return snapshot();
    }
}
