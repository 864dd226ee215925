package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * An informer on one Gateway API kind (Gateways, HTTPRoutes, GRPCRoutes), which most clusters do not serve.
 * Whether the API server serves it is asked once, off the startup path (discovery is a call that an
 * unreachable API server would make wait); until the answer, and until the informer has synced, the
 * view is "cannot tell". A cluster that does not serve the kind has none of it: an empty list, and the question
 * is asked again, at most every {@link #RECHECK_MILLIS}, when a rule reads the list (the CRDs may be installed after
 * the webhook). Only the rules' view of each object is kept, never the object.
 */
final class GatewayApiCache<V> {

    private static final Logger LOG = Logger.getLogger(GatewayApiCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final long RECHECK_MILLIS = 30_000;

    private final String apiVersion;
    private final String kind;
    private final Function<JsonNode, V> view;
    private final ViewStore<V> store = new ViewStore<>();
    private volatile SharedIndexInformer<GenericKubernetesResource> informer;
    private volatile boolean notServed;
    private final java.util.concurrent.atomic.AtomicLong askedAt = new java.util.concurrent.atomic.AtomicLong();
    private KubernetesClient client;
    private long resyncMillis;

    GatewayApiCache(String apiVersion, String kind, Function<JsonNode, V> view) {
        this.apiVersion = apiVersion;
        this.kind = kind;
        this.view = view;
    }

    void start(KubernetesClient client, long resyncMillis) {
        this.client = client;
        this.resyncMillis = resyncMillis;
        discover();
    }

    // The discovery logs its own failure in whenComplete: the future has nothing left to tell.
    @SuppressWarnings("FutureReturnValueIgnored")
    private void discover() {
        askedAt.set(System.currentTimeMillis());
        CompletableFuture.runAsync(() -> {
                    if (!client.supports(apiVersion, kind)) {
                        notServed = true;
                        LOG.infof("the cluster does not serve %s %s: none to read", apiVersion, kind);
                        return;
                    }
                    notServed = false;
                    store.view = view;
                    store.kind = kind;
                    informer = client.genericKubernetesResources(apiVersion, kind)
                            .inAnyNamespace()
                            .runnableInformer(resyncMillis)
                            .itemStore(store);
                    informer.start().whenComplete((ok, error) -> {
                        if (error != null) {
                            LOG.warnf("cannot watch %s: %s", kind, error.getMessage());
                        }
                    });
                })
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        LOG.warnf(
                                "cannot tell whether the cluster serves %s %s: %s",
                                apiVersion, kind, error.getMessage());
                    }
                });
    }

    void stop() {
        if (informer != null) {
            informer.stop();
        }
    }

    /** Every object as the rules see it; empty while that cannot be told. */
    Optional<List<V>> list() {
        if (notServed) {
            long asked = askedAt.get();
            if (System.currentTimeMillis() - asked > RECHECK_MILLIS
                    && askedAt.compareAndSet(asked, System.currentTimeMillis())) {
                discover();
            }
            return Optional.of(List.of());
        }
        SharedIndexInformer<GenericKubernetesResource> current = informer;
        if (current == null || !current.hasSynced()) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(store.views.values()));
    }

    /** Keeps the identity the informer needs (name, namespace, uid, resourceVersion) and the rules' view. */
    private static final class ViewStore<V> extends BasicItemStore<GenericKubernetesResource> {
        private final Map<String, V> views = new ConcurrentHashMap<>();
        private Function<JsonNode, V> view;
        private String kind;

        ViewStore() {
            super(Cache::metaNamespaceKeyFunc);
        }

        @Override
        public GenericKubernetesResource put(String key, GenericKubernetesResource object) {
            // List items may come without their kind; the routes' view names it.
            com.fasterxml.jackson.databind.node.ObjectNode tree = JSON.valueToTree(object);
            tree.put("kind", kind);
            views.put(key, view.apply(tree));
            ObjectMeta meta = object.getMetadata();
            GenericKubernetesResource slim = new GenericKubernetesResource();
            slim.setApiVersion(object.getApiVersion());
            slim.setKind(object.getKind());
            ObjectMeta kept = new ObjectMeta();
            kept.setName(meta.getName());
            kept.setNamespace(meta.getNamespace());
            kept.setUid(meta.getUid());
            kept.setResourceVersion(meta.getResourceVersion());
            slim.setMetadata(kept);
            return super.put(key, slim);
        }

        @Override
        public GenericKubernetesResource remove(String key) {
            views.remove(key);
            return super.remove(key);
        }
    }
}
