package io.sourceipguard.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One RFC 6902 JSON Patch operation, written by hand against the incoming object so that
 * no field the webhook does not know about can be lost.
 */
public record PatchOperation(String op, String path, JsonNode value) {

    public static PatchOperation add(String path, JsonNode value) {
        return new PatchOperation("add", path, value);
    }

    public static PatchOperation replace(String path, JsonNode value) {
        return new PatchOperation("replace", path, value);
    }

    /** Escapes one reference token per RFC 6901: label keys such as {@code kubernetes.azure.com/agentpool} contain '/'. */
    public static String escape(String token) {
        if (token.indexOf('~') < 0 && token.indexOf('/') < 0) {
            return token;
        }
        return token.replace("~", "~0").replace("/", "~1");
    }
}
