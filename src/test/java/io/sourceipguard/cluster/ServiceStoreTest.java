package io.sourceipguard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceStoreTest {

    private static Service service(String type, String policy) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withNamespace("ingress")
                .withName("ingress-nginx-controller")
                .withLabels(Map.of("app.kubernetes.io/name", "ingress-nginx"))
                .withAnnotations(Map.of("meta.helm.sh/release-name", "ingress-nginx"))
                .endMetadata()
                .withNewSpec()
                .withType(type)
                .withExternalTrafficPolicy(policy)
                .withSelector(Map.of("app", "nginx"))
                .addNewPort()
                .withPort(80)
                .endPort()
                .withClusterIP("10.0.58.7")
                .endSpec()
                .build();
    }

    @Test
    void keepsOnlyWhatTheRulesReadOfExposedServices() {
        ServiceStore store = new ServiceStore();
        store.put("ingress/ingress-nginx-controller", service("LoadBalancer", "Cluster"));
        List<ServiceMeta> services = store.services();
        assertEquals(
                List.of(new ServiceMeta(
                        "ingress",
                        "ingress-nginx-controller",
                        "LoadBalancer",
                        "Cluster",
                        Map.of("app.kubernetes.io/name", "ingress-nginx"),
                        Map.of("app", "nginx"))),
                services);
        Service kept = store.get("ingress/ingress-nginx-controller");
        assertTrue(kept.getMetadata().getAnnotations() == null
                || kept.getMetadata().getAnnotations().isEmpty());
        assertTrue(
                kept.getSpec().getPorts() == null || kept.getSpec().getPorts().isEmpty());
        assertNull(kept.getSpec().getClusterIP());
    }

    @Test
    void aClusterIpServiceIsRememberedButNotViewedAndAnUpdateIsSeen() {
        ServiceStore store = new ServiceStore();
        store.put("ingress/ingress-nginx-controller", service("ClusterIP", null));
        assertEquals(List.of(), store.services());
        store.put("ingress/ingress-nginx-controller", service("LoadBalancer", "Local"));
        assertTrue(store.services().get(0).keepsClientIp());
        store.remove("ingress/ingress-nginx-controller");
        assertEquals(List.of(), store.services());
    }
}
