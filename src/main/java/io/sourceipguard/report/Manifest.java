package io.sourceipguard.report;

import com.fasterxml.jackson.databind.JsonNode;

/** One Kubernetes object read for a report, and where it came from (file and document, or the cluster). */
public record Manifest(JsonNode object, String source) {

    public String kind() {
        return object.path("kind").asText("");
    }

    public String namespace() {
        return object.path("metadata").path("namespace").asText("");
    }

    public String name() {
        return object.path("metadata").path("name").asText("");
    }
}
