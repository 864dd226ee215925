package io.sourceipguard.cluster;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Service informer's store, keeping only what the allow-list rule reads, and only for Services
 * that receive traffic from outside (LoadBalancer, NodePort): type, externalTrafficPolicy, selector,
 * labels, namespace and name. Ports, cluster IPs, annotations and status are dropped, and ClusterIP
 * Services (most of a cluster's) are not kept at all. The rules' view is rebuilt once per change.
 */
final class ServiceStore extends BasicItemStore<Service> {

    private volatile List<ServiceMeta> snapshot;

    ServiceStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public Service put(String key, Service service) {
        snapshot = null;
        ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
        if (!"LoadBalancer".equals(spec.getType()) && !"NodePort".equals(spec.getType())) {
            // Still remembered by key (an update can change the type), but with nothing in it.
            return super.put(key, new ServiceBuilder().withMetadata(slimMeta(service.getMetadata())).build());
        }
        Service slim = new ServiceBuilder()
                .withMetadata(slimMeta(service.getMetadata()))
                .withNewSpec().withType(spec.getType()).withExternalTrafficPolicy(spec.getExternalTrafficPolicy())
                .withSelector(spec.getSelector()).endSpec()
                .build();
        return super.put(key, slim);
    }

    private static ObjectMeta slimMeta(ObjectMeta meta) {
        ObjectMeta slim = new ObjectMeta();
        slim.setName(meta.getName());
        slim.setNamespace(meta.getNamespace());
        slim.setUid(meta.getUid());
        slim.setResourceVersion(meta.getResourceVersion());
        slim.setLabels(meta.getLabels());
        return slim;
    }

    @Override
    public Service remove(String key) {
        snapshot = null;
        return super.remove(key);
    }

    /** Every LoadBalancer and NodePort Service as the rules see it. */
    List<ServiceMeta> services() {
        List<ServiceMeta> current = snapshot;
        if (current == null) {
            List<ServiceMeta> built = new ArrayList<>();
            values().forEach(service -> {
                if (service.getSpec() != null) {
                    built.add(meta(service));
                }
            });
            current = List.copyOf(built);
            snapshot = current;
        }
        return current;
    }

    static ServiceMeta meta(Service service) {
        ServiceSpec spec = service.getSpec();
        Map<String, String> labels = service.getMetadata().getLabels();
        Map<String, String> selector = spec.getSelector();
        String policy = spec.getExternalTrafficPolicy();
        return new ServiceMeta(service.getMetadata().getNamespace(), service.getMetadata().getName(), spec.getType(),
                policy == null ? "" : policy, labels == null ? Map.of() : labels, selector == null ? Map.of() : selector);
    }
}
