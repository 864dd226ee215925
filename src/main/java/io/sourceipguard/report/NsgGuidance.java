package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which node subnets receive each LoadBalancer Service's traffic, and so which NSGs need which inbound
 * rules, from the Services, Nodes and EndpointSlices of the input. With {@code externalTrafficPolicy: Local}
 * only nodes with a ready endpoint pass the Azure load balancer's probe (the others answer 503 on the
 * health check node port), so only their subnets see the traffic, with the client's own address. With
 * {@code Cluster} every node passes, forwards and SNATs: every node subnet must admit the callers, and
 * every node must reach the pods' port on the others (the field report's "lateral movement").
 * Probes come from 168.63.129.16, the service tag {@code AzureLoadBalancer}.
 */
public record NsgGuidance(List<Entry> services, List<String> notes) {

    /** Where Azure's load balancer probes come from: the platform address and its service tag. */
    public static final String PROBE_SOURCE = "AzureLoadBalancer";

    public static final String PROBE_ADDRESS = "168.63.129.16";
    // AKS's node labels: the pool, and the subnet a node's NIC sits in.
    static final String SUBNET_LABEL = "kubernetes.azure.com/network-subnet";
    static final String POOL_LABEL = "kubernetes.azure.com/agentpool";

    /** A node subnet (or, where no label names it, the pool or node standing in for it) and its nodes. */
    public record Subnet(String name, boolean known, List<String> nodes, List<String> addresses) {}

    /** One port of a Service: what callers dial, and the node and pod ports behind it. */
    public record Port(String protocol, int port, int nodePort, String targetPort) {}

    /** One LoadBalancer Service: who may receive its traffic, and what the NSGs in front of them need. */
    public record Entry(
            String namespace,
            String name,
            boolean local,
            String frontend,
            List<String> sources,
            List<Port> ports,
            int healthCheckNodePort,
            List<Subnet> receiving,
            List<Subnet> all,
            List<String> notes) {

        public String displayName() {
            return namespace + "/" + name;
        }
    }

    public static NsgGuidance of(List<Manifest> manifests) {
        Map<String, JsonNode> nodes = new LinkedHashMap<>();
        Map<String, Set<String>> readyNodes = new LinkedHashMap<>();
        List<Manifest> services = new ArrayList<>();
        for (Manifest m : manifests) {
            String apiVersion = m.object().path("apiVersion").asText();
            if ("Node".equals(m.kind()) && "v1".equals(apiVersion)) {
                nodes.put(m.name(), m.object());
            } else if ("EndpointSlice".equals(m.kind()) && "discovery.k8s.io/v1".equals(apiVersion)) {
                String service = m.object()
                        .path("metadata")
                        .path("labels")
                        .path("kubernetes.io/service-name")
                        .asText("");
                Set<String> ready =
                        readyNodes.computeIfAbsent(m.namespace() + "/" + service, k -> new LinkedHashSet<>());
                for (JsonNode endpoint : m.object().path("endpoints")) {
                    // EndpointSlice API: an unset ready condition is to be read as ready.
                    if (endpoint.path("conditions").path("ready").asBoolean(true) && endpoint.hasNonNull("nodeName")) {
                        ready.add(endpoint.path("nodeName").asText());
                    }
                }
            } else if ("Service".equals(m.kind())
                    && "v1".equals(apiVersion)
                    && "LoadBalancer"
                            .equals(m.object().path("spec").path("type").asText())) {
                services.add(m);
            }
        }
        List<String> notes = new ArrayList<>();
        if (nodes.isEmpty()) {
            notes.add(
                    "no Nodes in the input: the node subnets are unknown (use --cluster, or add kubectl get nodes -o yaml)");
        }
        List<Subnet> all = subnets(nodes, nodes.keySet());
        List<Entry> entries = new ArrayList<>();
        for (Manifest service : services) {
            entries.add(entry(service, nodes, all, readyNodes.get(service.namespace() + "/" + service.name())));
        }
        return new NsgGuidance(entries, notes);
    }

    private static Entry entry(Manifest service, Map<String, JsonNode> nodes, List<Subnet> all, Set<String> ready) {
        JsonNode spec = service.object().path("spec");
        boolean local = "Local".equals(spec.path("externalTrafficPolicy").asText());
        List<String> notes = new ArrayList<>();
        List<Port> ports = new ArrayList<>();
        for (JsonNode p : spec.path("ports")) {
            ports.add(new Port(
                    p.path("protocol").asText("TCP"),
                    p.path("port").asInt(),
                    p.path("nodePort").asInt(0),
                    p.path("targetPort").asText(p.path("port").asText())));
        }
        List<String> sources = new ArrayList<>();
        spec.path("loadBalancerSourceRanges").forEach(r -> sources.add(r.asText()));
        if (sources.isEmpty()) {
            notes.add("no loadBalancerSourceRanges: the rules below admit Internet; narrow them to your callers"
                    + " (Application Gateway, Front Door, APIM subnets)");
            sources.add("Internet");
        }
        JsonNode ingress = service.object()
                .path("status")
                .path("loadBalancer")
                .path("ingress")
                .path(0);
        String frontend = ingress.path("ip").asText("");
        if (frontend.isEmpty()) {
            frontend = spec.path("loadBalancerIP").asText("");
        }
        if (frontend.isEmpty()) {
            notes.add("the load balancer's frontend IP is not in the input: the destination is left as <frontend-ip>");
            frontend = "<frontend-ip>";
        }
        List<Subnet> receiving = all;
        if (local) {
            if (ready == null) {
                notes.add("no EndpointSlice of this Service in the input: which nodes have a ready endpoint is unknown,"
                        + " so every node subnet is listed (use --cluster, or add kubectl get endpointslices -o yaml)");
            } else {
                receiving = subnets(nodes, ready);
                if (receiving.isEmpty()) {
                    notes.add("no ready endpoint: every node fails the probe and no subnet receives traffic now");
                }
            }
        }
        return new Entry(
                service.namespace(),
                service.name(),
                local,
                frontend,
                sources,
                ports,
                spec.path("healthCheckNodePort").asInt(0),
                receiving,
                all,
                notes);
    }

    // Nodes grouped by subnet label; without it by pool (one subnet per AKS pool), else by node.
    private static List<Subnet> subnets(Map<String, JsonNode> nodes, Set<String> names) {
        Map<String, List<String>> members = new LinkedHashMap<>();
        Map<String, List<String>> addresses = new LinkedHashMap<>();
        Map<String, Boolean> known = new LinkedHashMap<>();
        for (String name : names) {
            JsonNode node = nodes.get(name);
            JsonNode labels = node == null
                    ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                    : node.path("metadata").path("labels");
            String subnet = labels.path(SUBNET_LABEL).asText("");
            String key = !subnet.isEmpty()
                    ? subnet
                    : labels.has(POOL_LABEL) ? "pool " + labels.path(POOL_LABEL).asText() : "node " + name;
            known.putIfAbsent(key, !subnet.isEmpty());
            members.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
            List<String> ips = addresses.computeIfAbsent(key, k -> new ArrayList<>());
            if (node != null) {
                for (JsonNode address : node.path("status").path("addresses")) {
                    if ("InternalIP".equals(address.path("type").asText())) {
                        ips.add(address.path("address").asText());
                    }
                }
            }
        }
        List<Subnet> subnets = new ArrayList<>();
        members.forEach((key, list) ->
                subnets.add(new Subnet(key, known.get(key), List.copyOf(list), List.copyOf(addresses.get(key)))));
        return subnets;
    }
}
