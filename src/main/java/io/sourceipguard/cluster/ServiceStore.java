package io.sourceipguard.cluster;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import java.util.List;
import java.util.Map;

/**
 * The Service informer's store, keeping only what the allow-list rule reads, and only for Services
 * that receive traffic from outside (LoadBalancer, NodePort): type, externalTrafficPolicy, selector,
 * labels, namespace and name. Ports, cluster IPs, annotations and status are dropped, and of a ClusterIP
 * Service (most of a cluster's) only its name is kept, since an update can change its type.
 */
final class ServiceStore extends SlimStore<Service, ServiceMeta> {

    @Override
    Service slim(Service service) {
        ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
        ServiceBuilder slim = new ServiceBuilder().withMetadata(slimMeta(service.getMetadata()));
        if ("LoadBalancer".equals(spec.getType()) || "NodePort".equals(spec.getType())) {
            slim.withNewSpec()
                    .withType(spec.getType())
                    .withExternalTrafficPolicy(spec.getExternalTrafficPolicy())
                    .withSelector(spec.getSelector())
                    .endSpec();
        }
        return slim.build();
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
    ServiceMeta view(Service service) {
        ServiceSpec spec = service.getSpec();
        if (spec == null) {
            return null;
        }
        Map<String, String> labels = service.getMetadata().getLabels();
        Map<String, String> selector = spec.getSelector();
        String policy = spec.getExternalTrafficPolicy();
        return new ServiceMeta(
                service.getMetadata().getNamespace(),
                service.getMetadata().getName(),
                spec.getType(),
                policy == null ? "" : policy,
                labels == null ? Map.of() : labels,
                selector == null ? Map.of() : selector);
    }

    /** Every LoadBalancer and NodePort Service as the rules see it. */
    List<ServiceMeta> services() {
        return snapshot();
    }
}
