package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.ClusterView;
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
 * A namespace the input does not contain has no labels: the configured modes apply.
 */
public final class ManifestClusterView implements ClusterView {

    private final Map<String, List<ConfigMapData>> configMaps = new HashMap<>();
    private final Map<String, NamespaceMeta> namespaces = new HashMap<>();

    public ManifestClusterView(List<Manifest> manifests) {
        for (Manifest m : manifests) {
            String apiVersion = m.object().path("apiVersion").asText();
            if ("ConfigMap".equals(m.kind()) && "v1".equals(apiVersion)) {
                configMaps.computeIfAbsent(m.namespace(), k -> new ArrayList<>())
                        .add(new ConfigMapData(m.name(), strings(m.object().path("data"))));
            } else if ("Namespace".equals(m.kind()) && "v1".equals(apiVersion)) {
                JsonNode metadata = m.object().path("metadata");
                namespaces.put(m.name(), new NamespaceMeta(strings(metadata.path("labels")), strings(metadata.path("annotations"))));
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

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText(""));
        }
        return out;
    }
}
