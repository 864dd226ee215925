package io.sourceipguard.admission;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.Operation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who asks for what, read from the start of a review too large to read whole. The API server
 * writes the request's fields in the order of its Go struct: uid, kind, resource, subResource,
 * ..., name, namespace, operation, userInfo, and only then object and oldObject, so the first
 * kilobytes hold everything but the objects. Reading stops at the first object.
 */
final class ReviewPrefix {

    /** The uid to echo and the subject, without objects. */
    record Read(String uid, AdmissionSubject subject) {}

    private ReviewPrefix() {}

    /** The request read from the prefix, or null when it does not hold a uid, a kind and an operation. */
    static Read read(JsonFactory factory, byte[] prefix) {
        String uid = "";
        String group = "";
        String kind = "";
        String subResource = "";
        String name = "";
        String namespace = "";
        String operation = "";
        String username = "";
        List<String> groups = new ArrayList<>();
        try (JsonParser p = factory.createParser(prefix)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String top = p.currentName();
                p.nextToken();
                if (!"request".equals(top)) {
                    p.skipChildren();
                    continue;
                }
                request:
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (field) {
                        case "uid" -> uid = p.getValueAsString("");
                        case "subResource" -> subResource = p.getValueAsString("");
                        case "name" -> name = p.getValueAsString("");
                        case "namespace" -> namespace = p.getValueAsString("");
                        case "operation" -> operation = p.getValueAsString("");
                        case "kind" -> {
                            while (value == JsonToken.START_OBJECT && p.nextToken() == JsonToken.FIELD_NAME) {
                                String part = p.currentName();
                                p.nextToken();
                                if ("group".equals(part)) {
                                    group = p.getValueAsString("");
                                } else if ("kind".equals(part)) {
                                    kind = p.getValueAsString("");
                                } else {
                                    p.skipChildren();
                                }
                            }
                        }
                        case "userInfo" -> {
                            while (value == JsonToken.START_OBJECT && p.nextToken() == JsonToken.FIELD_NAME) {
                                String part = p.currentName();
                                JsonToken v = p.nextToken();
                                if ("username".equals(part)) {
                                    username = p.getValueAsString("");
                                } else if ("groups".equals(part) && v == JsonToken.START_ARRAY) {
                                    while (p.nextToken() == JsonToken.VALUE_STRING) {
                                        groups.add(p.getText());
                                    }
                                } else {
                                    p.skipChildren();
                                }
                            }
                        }
                        case "object", "oldObject" -> {
                            break request; // the rest is the objects: everything needed is read
                        }
                        default -> p.skipChildren();
                    }
                }
                break;
            }
        } catch (IOException e) {
            // the prefix ends inside a value: use what was read before it
        }
        Operation op = Operation.parse(operation);
        if (uid.isEmpty() || kind.isEmpty() || op == null) {
            return null;
        }
        return new Read(
                uid,
                new AdmissionSubject(
                        op, group, kind, namespace, name, null, null, username, groups, false, subResource));
    }
}
