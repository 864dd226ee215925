package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PatchOperation;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The small vocabulary of AdmissionReview answers: {@link #allowed}, {@link #denied},
 * {@link #patched}, each carrying warnings and audit annotations. The uid is echoed on every
 * path, because the API server discards an answer whose uid does not match its request.
 */
public final class AdmissionResponses {

    private final ObjectMapper json;

    public AdmissionResponses(ObjectMapper json) {
        this.json = json;
    }

    /** Maps the engine's decision to the matching answer. */
    public ObjectNode from(String uid, Decision decision) {
        if (!decision.allowed()) {
            return denied(uid, decision.message(), decision.warnings(), decision.auditAnnotations());
        }
        if (decision.patched()) {
            return patched(uid, decision.patch(), decision.warnings(), decision.auditAnnotations());
        }
        return allowed(uid, decision.warnings(), decision.auditAnnotations());
    }

    /** Admits the object unchanged. */
    public ObjectNode allowed(String uid, List<String> warnings, Map<String, String> audit) {
        ObjectNode review = review();
        ObjectNode response = response(review, uid, true, warnings, audit);
        response.putObject("status").put("code", 200);
        return review;
    }

    /** Refuses the object: 403 Forbidden, with the message kubectl shows. */
    public ObjectNode denied(String uid, String message, List<String> warnings, Map<String, String> audit) {
        ObjectNode review = review();
        ObjectNode status = response(review, uid, false, warnings, audit).putObject("status");
        status.put("code", 403);
        status.put("reason", "Forbidden");
        status.put("message", message);
        return review;
    }

    /** Admits the object with a JSON Patch; patchType is set only when there is a patch. */
    public ObjectNode patched(
            String uid, List<PatchOperation> patch, List<String> warnings, Map<String, String> audit) {
        ObjectNode review = review();
        ObjectNode response = response(review, uid, true, warnings, audit);
        response.put("patchType", "JSONPatch");
        response.put("patch", Base64.getEncoder().encodeToString(patchBytes(patch)));
        response.putObject("status").put("code", 200);
        return review;
    }

    /** The RFC 6902 document for a list of operations. */
    public byte[] patchBytes(List<PatchOperation> patch) {
        ArrayNode ops = json.createArrayNode();
        for (PatchOperation op : patch) {
            ObjectNode node = ops.addObject();
            node.put("op", op.op());
            node.put("path", op.path());
            if (op.value() != null) {
                node.set("value", op.value());
            }
        }
        try {
            return json.writeValueAsBytes(ops);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private ObjectNode review() {
        ObjectNode review = json.createObjectNode();
        review.put("apiVersion", AdmissionRequestDecoder.API_VERSION);
        review.put("kind", "AdmissionReview");
        return review;
    }

    private static ObjectNode response(
            ObjectNode review, String uid, boolean allowed, List<String> warnings, Map<String, String> audit) {
        ObjectNode response = review.putObject("response");
        response.put("uid", uid);
        response.put("allowed", allowed);
        if (!warnings.isEmpty()) {
            ArrayNode list = response.putArray("warnings");
            warnings.forEach(list::add);
        }
        if (!audit.isEmpty()) {
            ObjectNode annotations = response.putObject("auditAnnotations");
            audit.forEach(annotations::put);
        }
        return response;
    }
}
