package io.sourceipguard.policy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the rules may know about the rest of the cluster. The cluster adapter answers from
 * informer caches, never with an API call on the request path; tests answer from fixtures.
 * An empty Optional means "cannot tell right now" (cache not synced, API unreachable): each
 * rule then documents its fallback.
 */
public interface ClusterView {

    /** A ConfigMap as the rules see it: its name and its data. */
    record ConfigMapData(String name, Map<String, String> data) {
    }

    /** The ConfigMaps of {@code namespace}, or empty when they cannot be read. */
    Optional<List<ConfigMapData>> configMaps(String namespace);

    /** A Namespace's labels and annotations. */
    record NamespaceMeta(Map<String, String> labels, Map<String, String> annotations) {
    }

    /** The labels and annotations of a namespace, or empty when they cannot be read. */
    Optional<NamespaceMeta> namespace(String name);

    /** A view that knows nothing: for offline reports and callers without a cluster. */
    ClusterView UNAVAILABLE = new ClusterView() {
        @Override
        public Optional<List<ConfigMapData>> configMaps(String namespace) {
            return Optional.empty();
        }

        @Override
        public Optional<NamespaceMeta> namespace(String name) {
            return Optional.empty();
        }
    };
}
