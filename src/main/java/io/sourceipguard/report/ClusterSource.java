package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.ListOptions;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.sourceipguard.config.GuardConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads, through the Kubernetes API, every object the rules look at: Services, Deployments,
 * DaemonSets, StatefulSets, Ingresses, Namespaces and Nodes across all namespaces, the Gateway
 * controllers' configuration and allow-list CRDs where the cluster serves them, and the ip-masq-agent
 * ConfigMaps (and, for the NSG guidance, EndpointSlices), in pages so that a large cluster is never
 * fetched in one response.
 */
public final class ClusterSource {

    // Objects per page: the API server's own default page size for kubectl.
    private static final long PAGE = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    // apiVersion and kind of each CRD the rules judge (the ClusterRole grants get, list, watch on exactly these).
    private static final String[][] CRDS = {
        {"gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"},
        {"gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"},
        {"gateway.nginx.org/v1alpha2", "NginxProxy"},
        {"cilium.io/v2alpha1", "CiliumGatewayClassConfig"},
        {"traefik.io/v1alpha1", "Middleware"},
        {"gateway.networking.k8s.io/v1", "Gateway"},
        {"gateway.networking.k8s.io/v1", "HTTPRoute"},
        {"gateway.networking.k8s.io/v1", "GRPCRoute"},
    };

    private ClusterSource() {}

    public static List<Manifest> read(KubernetesClient client, GuardConfig.MasqRule masq) {
        return read(client, masq, false);
    }

    /**
     * Also the EndpointSlices ({@code discovery.k8s.io/v1}) when {@code endpointSlices}: which nodes hold a
     * ready endpoint of each Service, for the NSG guidance ({@code -o nsg}); read only then, in pages like the rest.
     */
    public static List<Manifest> read(KubernetesClient client, GuardConfig.MasqRule masq, boolean endpointSlices) {
        List<Manifest> manifests = new ArrayList<>();
        String context = client.getMasterUrl().toString();
        all(client, "v1", "Namespace", context, manifests);
        all(client, "v1", "Node", context, manifests);
        all(client, "v1", "Service", context, manifests);
        all(client, "apps/v1", "Deployment", context, manifests);
        all(client, "apps/v1", "DaemonSet", context, manifests);
        all(client, "apps/v1", "StatefulSet", context, manifests);
        all(client, "networking.k8s.io/v1", "Ingress", context, manifests);
        all(client, "networking.k8s.io/v1", "IngressClass", context, manifests);
        // The Gateway controllers' configuration and the allow-lists of rules gateway-config and
        // allow-list-source-ip, and the Gateways and routes that link them: CRDs that most clusters do not have, so
        // each is read only where it is served. Istio's Gateway ConfigMaps are not read: that would take reading
        // every ConfigMap of the cluster; admission judges them on write, and -f on manifests.
        for (String[] crd : CRDS) {
            if (client.supports(crd[0], crd[1])) {
                all(client, crd[0], crd[1], context, manifests);
            }
        }
        if (endpointSlices) {
            all(client, "discovery.k8s.io/v1", "EndpointSlice", context, manifests);
        }
        for (String name : masq.names()) {
            GenericKubernetesResource cm = client.genericKubernetesResources("v1", "ConfigMap")
                    .inNamespace(masq.namespace())
                    .withName(name)
                    .get();
            if (cm != null) {
                manifests.add(manifest("v1", "ConfigMap", cm, context));
            }
        }
        return manifests;
    }

    private static void all(
            KubernetesClient client, String apiVersion, String kind, String context, List<Manifest> out) {
        MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
                op = client.genericKubernetesResources(apiVersion, kind);
        String next = null;
        do {
            ListOptions options =
                    new ListOptionsBuilder().withLimit(PAGE).withContinue(next).build();
            GenericKubernetesResourceList page =
                    "Namespace".equals(kind) || "Node".equals(kind) || "IngressClass".equals(kind)
                            ? op.list(options)
                            : op.inAnyNamespace().list(options);
            for (GenericKubernetesResource item : page.getItems()) {
                out.add(manifest(apiVersion, kind, item, context));
            }
            next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
        } while (next != null && !next.isEmpty());
    }

    // List items come without apiVersion and kind; the rules need both.
    private static Manifest manifest(
            String apiVersion, String kind, GenericKubernetesResource resource, String context) {
        ObjectNode tree = JSON.valueToTree(resource);
        tree.put("apiVersion", apiVersion);
        tree.put("kind", kind);
        JsonNode metadata = tree.path("metadata");
        String name = metadata.path("namespace").asText("").isEmpty()
                ? metadata.path("name").asText()
                : metadata.path("namespace").asText() + "/"
                        + metadata.path("name").asText();
        return new Manifest(tree, context + " " + kind + " " + name);
    }
}
