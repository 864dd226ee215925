package io.sourceipguard.policy;

import com.fasterxml.jackson.databind.JsonNode;

/** Reads labels and annotations from an object tree; absent means null. */
public final class Metadata {

    private Metadata() {}

    public static String label(JsonNode object, String key) {
        return text(object.path("metadata").path("labels").get(key));
    }

    public static String annotation(JsonNode object, String key) {
        return text(object.path("metadata").path("annotations").get(key));
    }

    private static String text(JsonNode value) {
        return value == null || value.isNull() ? null : value.asText();
    }
}
