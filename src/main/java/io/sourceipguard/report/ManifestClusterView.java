package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.ControllerMeta;
import io.sourceipguard.policy.ClusterView.GatewayMeta;
import io.sourceipguard.policy.ClusterView.IngressClassMeta;
import io.sourceipguard.policy.ClusterView.NodeMeta;
import io.sourceipguard.policy.ClusterView.RouteMeta;
import io.sourceipguard.policy.ClusterView.ServiceMeta;
import io.sourceipguard.policy.ClusterView.Taint;
import io.sourceipguard.policy.masq.MasqAgent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cluster as a set of manifests shows it: ip-masq-agent ConfigMaps judged together with
 * their siblings in the same input (the agent merges them), Namespaces with their labels.
 * A namespace the input does not contain has no labels: the configured modes apply. Nodes in
 * the input (or every Node, when read from a cluster) tell the node pools and the pod network.
 */
public final class ManifestClusterView implements ClusterView {

    private final Map<String, List<ConfigMapData>> configMaps = new HashMap<>();
    private final Map<String, NamespaceMeta> namespaces = new HashMap<>();
    private final List<NodeMeta> nodes = new ArrayList<>();
    private final List<ServiceMeta> services = new ArrayList<>();
    private final List<MasqAgent> agents = new ArrayList<>();
    private final List<GatewayMeta> gateways = new ArrayList<>();
    private final List<RouteMeta> routes = new ArrayList<>();
    private final List<IngressClassMeta> ingressClasses = new ArrayList<>();
    private final List<ControllerMeta> controllers = new ArrayList<>();
    private final boolean fromCluster;

    private static final String GATEWAY_API = "gateway.networking.k8s.io/";

    /** The manifests of files: cluster facts (Nodes) only as far as the input contains them. */
    public ManifestClusterView(List<Manifest> manifests) {
        this(manifests, false);
    }

    /** {@code fromCluster}: the manifests were read from a cluster, so its Nodes are all of them. */
    public ManifestClusterView(List<Manifest> manifests, boolean fromCluster) {
        this.fromCluster = fromCluster;
        for (Manifest m : manifests) {
            String apiVersion = m.object().path("apiVersion").asText();
            if ("ConfigMap".equals(m.kind()) && "v1".equals(apiVersion)) {
                Map<String, String> data = strings(m.object().path("data"));
                strings(m.object().path("binaryData"))
                        .forEach((key, value) -> data.put(key, ConfigMapData.decode(value)));
                configMaps
                        .computeIfAbsent(m.namespace(), k -> new ArrayList<>())
                        .add(new ConfigMapData(m.name(), data));
            } else if ("Namespace".equals(m.kind()) && "v1".equals(apiVersion)) {
                JsonNode metadata = m.object().path("metadata");
                namespaces.put(
                        m.name(),
                        new NamespaceMeta(strings(metadata.path("labels")), strings(metadata.path("annotations"))));
            } else if ("Node".equals(m.kind()) && "v1".equals(apiVersion)) {
                nodes.add(node(m.name(), m.object()));
            } else if ("Service".equals(m.kind()) && "v1".equals(apiVersion)) {
                service(m).ifPresent(services::add);
            } else if (apiVersion.startsWith(GATEWAY_API) && "Gateway".equals(m.kind())) {
                gateways.add(GatewayMeta.of(m.object()));
            } else if (apiVersion.startsWith(GATEWAY_API)
                    && ("HTTPRoute".equals(m.kind()) || "GRPCRoute".equals(m.kind()))) {
                routes.add(RouteMeta.of(m.object()));
            } else if ("IngressClass".equals(m.kind()) && "networking.k8s.io/v1".equals(apiVersion)) {
                ingressClasses.add(IngressClassMeta.of(m.object()));
            } else if ("Deployment".equals(m.kind()) && "apps/v1".equals(apiVersion)) {
                Optional.ofNullable(ControllerMeta.of(m.object())).ifPresent(controllers::add);
            } else if ("DaemonSet".equals(m.kind()) && "apps/v1".equals(apiVersion)) {
                Optional.ofNullable(ControllerMeta.of(m.object())).ifPresent(controllers::add);
                MasqAgent agent = MasqAgent.fromDaemonSet(m.object(), name -> true);
                if (agent != null) {
                    agents.add(agent);
                }
            }
        }
    }

    @Override
    public Optional<List<ConfigMapData>> configMaps(String namespace) {
        return Optional.of(configMaps.getOrDefault(namespace, List.of()));
    }

    @Override
    public Optional<NamespaceMeta> namespace(String name) {
        return Optional.of(namespaces.getOrDefault(name, new NamespaceMeta(Map.of(), Map.of())));
    }

    @Override
    public Optional<List<MasqAgent>> masqAgents() {
        return Optional.of(List.copyOf(agents));
    }

    @Override
    public Optional<List<NodeMeta>> nodes() {
        return hasCluster() ? Optional.of(List.copyOf(nodes)) : Optional.empty();
    }

    // The Services of the input (files say only as much as they contain, a cluster all of them).
    @Override
    public Optional<List<ServiceMeta>> services() {
        return Optional.of(List.copyOf(services));
    }

    // The Gateways and routes of the input: files say only as much as they contain, a cluster all of them.
    @Override
    public Optional<List<GatewayMeta>> gateways() {
        return Optional.of(List.copyOf(gateways));
    }

    @Override
    public Optional<List<RouteMeta>> routes() {
        return Optional.of(List.copyOf(routes));
    }

    @Override
    public Optional<List<IngressClassMeta>> ingressClasses() {
        return Optional.of(List.copyOf(ingressClasses));
    }

    @Override
    public Optional<List<ControllerMeta>> ingressControllers() {
        return Optional.of(List.copyOf(controllers));
    }

    private static Optional<ServiceMeta> service(Manifest m) {
        JsonNode spec = m.object().path("spec");
        String type = spec.path("type").asText("ClusterIP");
        if (!"LoadBalancer".equals(type) && !"NodePort".equals(type)) {
            return Optional.empty();
        }
        return Optional.of(new ServiceMeta(
                m.namespace(),
                m.name(),
                type,
                spec.path("externalTrafficPolicy").asText(""),
                strings(m.object().path("metadata").path("labels")),
                strings(spec.path("selector"))));
    }

    // Files without Nodes say nothing of the cluster: judged from configuration alone, as offline.
    @Override
    public boolean hasCluster() {
        return fromCluster || !nodes.isEmpty();
    }

    private static NodeMeta node(String name, JsonNode node) {
        JsonNode spec = node.path("spec");
        List<String> podCidrs = new ArrayList<>();
        spec.path("podCIDRs").forEach(c -> podCidrs.add(c.asText()));
        if (podCidrs.isEmpty() && !spec.path("podCIDR").asText("").isEmpty()) {
            podCidrs.add(spec.path("podCIDR").asText());
        }
        List<Taint> taints = new ArrayList<>();
        spec.path("taints")
                .forEach(t -> taints.add(new Taint(
                        t.path("key").asText(""),
                        t.path("value").asText(""),
                        t.path("effect").asText(""))));
        return new NodeMeta(name, strings(node.path("metadata").path("labels")), taints, podCidrs);
    }

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText(""));
        }
        return out;
    }
}
