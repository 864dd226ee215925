package io.sourceipguard.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.UUID;

/** AdmissionReview v1 requests shaped like the API server's, around real manifests. */
public final class Reviews {

    private Reviews() {}

    public static ObjectNode review(String operation, JsonNode object, JsonNode oldObject) {
        JsonNode subject = object != null ? object : oldObject;
        String apiVersion = subject.path("apiVersion").asText();
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        String kind = subject.path("kind").asText();
        ObjectNode review = Fixtures.JSON.createObjectNode();
        review.put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", UUID.randomUUID().toString());
        request.putObject("kind").put("group", group).put("version", version).put("kind", kind);
        request.putObject("resource")
                .put("group", group)
                .put("version", version)
                .put("resource", kind.toLowerCase(Locale.ROOT) + "s");
        request.put("name", subject.path("metadata").path("name").asText());
        if (subject.path("metadata").has("namespace")) {
            request.put("namespace", subject.path("metadata").path("namespace").asText());
        }
        request.put("operation", operation);
        ObjectNode user = request.putObject("userInfo");
        user.put("username", "dev-user");
        user.putArray("groups").add("developers").add("system:authenticated");
        if (object != null) {
            request.set("object", object);
        }
        if (oldObject != null) {
            request.set("oldObject", oldObject);
        }
        request.put("dryRun", false);
        return review;
    }

    public static ObjectNode create(JsonNode object) {
        return review("CREATE", object, null);
    }
}
