package io.sourceipguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.flipkart.zjsonpatch.JsonPatch;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.PatchOperation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** Real manifests from src/test/resources/fixtures, and what tests do with them. */
public final class Fixtures {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    private Fixtures() {}

    /** A manifest from fixtures/manifests (or fixtures/DIR/FILE), as the API server would send it (a JSON tree). */
    public static ObjectNode manifest(String file) {
        String path = file.contains("/") ? "/fixtures/" + file : "/fixtures/manifests/" + file;
        try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + file);
            }
            return (ObjectNode) YAML.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static AdmissionSubject createSubject(JsonNode object) {
        return AdmissionSubject.ofObject(object);
    }

    public static AdmissionSubject as(Operation operation, JsonNode object, JsonNode oldObject) {
        AdmissionSubject s = AdmissionSubject.ofObject(object != null ? object : oldObject);
        return new AdmissionSubject(
                operation,
                s.group(),
                s.kind(),
                s.namespace(),
                s.name(),
                operation == Operation.DELETE ? null : object,
                oldObject,
                "someone",
                List.of("developers"),
                false);
    }

    /** Applies our patch with an independent RFC 6902 implementation. */
    public static JsonNode apply(JsonNode object, List<PatchOperation> patch) {
        return JsonPatch.apply(JSON.valueToTree(patch.stream().map(Fixtures::op).toList()), object);
    }

    private static Map<String, Object> op(PatchOperation op) {
        return op.value() == null
                ? Map.of("op", op.op(), "path", op.path())
                : Map.of("op", op.op(), "path", op.path(), "value", op.value());
    }

    /** The JSON Pointer paths of every leaf that differs between two trees. */
    public static SortedSet<String> changedPaths(JsonNode before, JsonNode after) {
        TreeSet<String> paths = new TreeSet<>();
        diff("", before, after, paths);
        return paths;
    }

    private static void diff(String path, JsonNode a, JsonNode b, Set<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String key : keys) {
                diff(path + "/" + PatchOperation.escape(key), a.get(key), b.get(key), out);
            }
        } else if (a != null && b != null && a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) {
                diff(path + "/" + i, a.get(i), b.get(i), out);
            }
        } else if (a == null || !a.equals(b)) {
            out.add(path);
        }
    }

    /** A cluster view over fixed ConfigMaps; {@code null} answers "cannot tell". */
    public static ClusterView clusterWith(List<JsonNode> configMaps) {
        return clusterWith(configMaps, Map.of());
    }

    /** A cluster view over fixed ConfigMaps and Namespaces (name to labels; annotations empty), with no cluster facts. */
    public static ClusterView clusterWith(
            List<JsonNode> configMaps, Map<String, ClusterView.NamespaceMeta> namespaces) {
        return view(configMaps, namespaces, null, null, false);
    }

    /** A connected cluster with these ConfigMaps and Nodes; {@code null} Nodes: not readable yet. */
    public static ClusterView clusterWithNodes(List<JsonNode> configMaps, List<ClusterView.NodeMeta> nodes) {
        return view(configMaps, Map.of(), nodes, List.of(), true);
    }

    /** A Node with labels and taints ({@code key=value:Effect}, value optional). */
    public static ClusterView.NodeMeta node(String name, Map<String, String> labels, String... taints) {
        List<ClusterView.Taint> parsed = new java.util.ArrayList<>();
        for (String taint : taints) {
            String[] keyAndEffect = taint.split(":", 2);
            String[] keyAndValue = keyAndEffect[0].split("=", 2);
            parsed.add(new ClusterView.Taint(
                    keyAndValue[0], keyAndValue.length > 1 ? keyAndValue[1] : "", keyAndEffect[1]));
        }
        return new ClusterView.NodeMeta(name, labels, parsed, List.of());
    }

    /** A kubenet-style Node: a pod CIDR and no AKS pod network label. */
    public static ClusterView.NodeMeta nodeWithPodCidr(String name, String podCidr) {
        return new ClusterView.NodeMeta(name, Map.of(), List.of(), List.of(podCidr));
    }

    /** A connected cluster whose LoadBalancer and NodePort Services are these manifests; {@code null}: not readable yet. */
    public static ClusterView clusterWithServices(List<JsonNode> services) {
        List<ClusterView.ServiceMeta> metas = services == null
                ? null
                : services.stream()
                        .filter(s -> List.of("LoadBalancer", "NodePort")
                                .contains(s.path("spec").path("type").asText("ClusterIP")))
                        .map(s -> new ClusterView.ServiceMeta(
                                s.path("metadata").path("namespace").asText(""),
                                s.path("metadata").path("name").asText(),
                                s.path("spec").path("type").asText(),
                                s.path("spec").path("externalTrafficPolicy").asText(""),
                                strings(s.path("metadata").path("labels")),
                                strings(s.path("spec").path("selector"))))
                        .toList();
        return view(List.of(), Map.of(), List.of(), metas, true);
    }

    /** {@code base} with these Gateways and routes ({@code null}: not readable yet). */
    public static ClusterView withGatewayApi(
            ClusterView base, List<ClusterView.GatewayMeta> gateways, List<ClusterView.RouteMeta> routes) {
        return new DelegatingClusterView(base) {
            @Override
            public Optional<List<GatewayMeta>> gateways() {
                return Optional.ofNullable(gateways);
            }

            @Override
            public Optional<List<RouteMeta>> routes() {
                return Optional.ofNullable(routes);
            }
        };
    }

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        map.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static ClusterView view(
            List<JsonNode> configMaps,
            Map<String, ClusterView.NamespaceMeta> namespaces,
            List<ClusterView.NodeMeta> nodes,
            List<ClusterView.ServiceMeta> services,
            boolean connected) {
        return new ClusterView() {
            @Override
            public Optional<List<ConfigMapData>> configMaps(String namespace) {
                if (configMaps == null) {
                    return Optional.empty();
                }
                return Optional.of(configMaps.stream()
                        .filter(cm -> namespace.equals(
                                cm.path("metadata").path("namespace").asText()))
                        .map(Fixtures::data)
                        .toList());
            }

            @Override
            public Optional<NamespaceMeta> namespace(String name) {
                return Optional.of(namespaces.getOrDefault(name, new NamespaceMeta(Map.of(), Map.of())));
            }

            @Override
            public Optional<List<NodeMeta>> nodes() {
                return Optional.ofNullable(nodes);
            }

            @Override
            public Optional<List<ServiceMeta>> services() {
                return Optional.ofNullable(services);
            }

            @Override
            public boolean hasCluster() {
                return connected;
            }
        };
    }

    private static ClusterView.ConfigMapData data(JsonNode cm) {
        Map<String, String> data = strings(cm.path("data"));
        cm.path("binaryData")
                .fields()
                .forEachRemaining(e -> data.put(
                        e.getKey(),
                        ClusterView.ConfigMapData.decode(e.getValue().asText())));
        return new ClusterView.ConfigMapData(cm.path("metadata").path("name").asText(), data);
    }
}
