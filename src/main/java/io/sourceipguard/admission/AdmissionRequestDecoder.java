package io.sourceipguard.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.Operation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an {@code admission.k8s.io/v1} AdmissionReview body into an {@link AdmissionSubject}.
 * It reads the object the operation carries (CREATE: object; UPDATE: both; DELETE: oldObject),
 * once, here, so no rule has to know that switch.
 */
public final class AdmissionRequestDecoder {

    public static final String API_VERSION = "admission.k8s.io/v1";

    /** A decoded request: the uid to echo and the subject for the engine. */
    public record Decoded(String uid, AdmissionSubject subject) {}

    private final ObjectReader json;

    public AdmissionRequestDecoder(ObjectMapper json) {
        this.json = json.reader().with(new ReviewNodeFactory());
    }

    public Decoded decode(byte[] body) throws BadAdmissionReviewException {
        if (body == null || body.length == 0) {
            throw new BadAdmissionReviewException("empty body: send an admission.k8s.io/v1 AdmissionReview as JSON");
        }
        JsonNode review;
        try {
            review = json.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new BadAdmissionReviewException("body is not valid JSON ("
                    + e.getOriginalMessage().lines().findFirst().orElse("") + where
                    + "): send an admission.k8s.io/v1 AdmissionReview");
        } catch (IOException e) {
            throw new BadAdmissionReviewException("body could not be read: " + e.getMessage());
        }
        if (review == null || !review.isObject()) {
            throw new BadAdmissionReviewException(
                    "body is not a JSON object: send an admission.k8s.io/v1 AdmissionReview");
        }
        String kind = review.path("kind").asText("");
        String apiVersion = review.path("apiVersion").asText("");
        if (!"AdmissionReview".equals(kind) || !API_VERSION.equals(apiVersion)) {
            throw new BadAdmissionReviewException("body is a '" + apiVersion + " " + kind + "', not an " + API_VERSION
                    + " AdmissionReview: list admissionReviewVersions [v1] in the webhook configuration");
        }
        JsonNode request = review.get("request");
        if (request == null || !request.isObject()) {
            throw new BadAdmissionReviewException("AdmissionReview has no 'request' object");
        }
        String uid = text(request, "uid");
        if (uid.isEmpty()) {
            throw new BadAdmissionReviewException("AdmissionReview request has no 'uid'");
        }
        Operation operation = Operation.parse(text(request, "operation"));
        if (operation == null) {
            throw new BadAdmissionReviewException(
                    "request " + uid + ": 'operation' must be CREATE, UPDATE, DELETE or CONNECT, not '"
                            + text(request, "operation") + "'");
        }
        JsonNode gvk = request.path("kind");
        String resourceKind = gvk.path("kind").asText("");
        if (resourceKind.isEmpty()) {
            throw new BadAdmissionReviewException("request " + uid + ": 'kind.kind' is missing");
        }
        JsonNode object =
                embedded(request, "object", uid, operation == Operation.CREATE || operation == Operation.UPDATE);
        // oldObject is optional: no rule needs it to judge, and DELETE rules act on the name.
        JsonNode oldObject = embedded(request, "oldObject", uid, false);
        JsonNode subjectObject = object != null ? object : oldObject;
        String name = text(request, "name");
        if (name.isEmpty() && subjectObject != null) {
            // generateName: the API server has not picked the name yet
            name = subjectObject.path("metadata").path("name").asText("");
        }
        JsonNode user = request.path("userInfo");
        List<String> groups = new ArrayList<>();
        for (JsonNode g : user.path("groups")) {
            groups.add(g.asText());
        }
        AdmissionSubject subject = new AdmissionSubject(
                operation,
                gvk.path("group").asText(""),
                resourceKind,
                text(request, "namespace"),
                name,
                object,
                oldObject,
                user.path("username").asText(""),
                groups,
                request.path("dryRun").asBoolean(false),
                text(request, "subResource"));
        return new Decoded(uid, subject);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.textValue() : "";
    }

    private static JsonNode embedded(JsonNode request, String field, String uid, boolean required)
            throws BadAdmissionReviewException {
        JsonNode value = request.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new BadAdmissionReviewException(
                        "request " + uid + ": '" + field + "' is required for " + text(request, "operation"));
            }
            return null;
        }
        if (!value.isObject()) {
            throw new BadAdmissionReviewException("request " + uid + ": '" + field + "' is not a Kubernetes object");
        }
        return value;
    }
}
