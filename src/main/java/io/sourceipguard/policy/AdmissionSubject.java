package io.sourceipguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.List;

/**
 * Everything the engine needs to know about one request, whichever door it came through:
 * the object as the API server would store it ({@code object}), the stored one on UPDATE and
 * DELETE ({@code oldObject}), and who is asking. Objects are Jackson trees so that fields the
 * webhook does not model are never touched. {@code subResource} is set for writes through a
 * subresource ({@code status}, {@code finalize}): the API server keeps the spec of such writes,
 * but on many kinds it stores their label and annotation changes, so the exemption guard judges them.
 */
public record AdmissionSubject(
        Operation operation,
        String group,
        String kind,
        String namespace,
        String name,
        JsonNode object,
        JsonNode oldObject,
        String username,
        List<String> groups,
        boolean dryRun,
        String subResource) {

    /** A write to the resource itself, not a subresource. */
    public AdmissionSubject(
            Operation operation,
            String group,
            String kind,
            String namespace,
            String name,
            JsonNode object,
            JsonNode oldObject,
            String username,
            List<String> groups,
            boolean dryRun) {
        this(operation, group, kind, namespace, name, object, oldObject, username, groups, dryRun, "");
    }

    public AdmissionSubject {
        subResource = subResource == null ? "" : subResource;
        object = object == null ? MissingNode.getInstance() : object;
        oldObject = oldObject == null ? MissingNode.getInstance() : oldObject;
        namespace = namespace == null ? "" : namespace;
        name = name == null ? "" : name;
        username = username == null ? "" : username;
        groups = groups == null ? List.of() : List.copyOf(groups);
    }

    /** A subject for an object read from a file or the cluster: a CREATE by nobody in particular. */
    public static AdmissionSubject ofObject(JsonNode object) {
        JsonNode metadata = object.path("metadata");
        String apiVersion = object.path("apiVersion").asText("");
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        return new AdmissionSubject(
                Operation.CREATE,
                group,
                object.path("kind").asText(""),
                metadata.path("namespace").asText(""),
                metadata.path("name").asText(""),
                object,
                null,
                "",
                List.of(),
                false);
    }

    /** True when this is the given kind in the given API group ({@code ""} is the core group). */
    public boolean is(String group, String kind) {
        return this.kind.equals(kind) && this.group.equals(group);
    }

    /** "namespace/name", or just the name for cluster-scoped objects: how people refer to it. */
    public String displayName() {
        return namespace.isEmpty() ? name : namespace + "/" + name;
    }
}
