package io.sourceipguard.admission;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PatchOperation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The AdmissionReview answer to a decision: allowed, denied (403 with the message kubectl shows)
 * or patched (a JSON Patch, with patchType only when there is one), each carrying warnings and
 * audit annotations. The uid is echoed on every path, because the API server discards an answer
 * whose uid does not match its request. Written straight to bytes: an answer is built once, per
 * request, so a tree in between would only be allocated and walked.
 */
public final class AdmissionResponses {

    // A denial's complete fix is kilobytes of text that a refused write sent again (an apply loop, a
    // retrying controller) repeats verbatim: escaping it is most of the answer's cost, so the escaped
    // form of the last long messages is kept. Cleared when full, like the masquerade rule's findings.
    private static final int LONG_MESSAGE = 512;
    private static final int KEPT_MESSAGES = 64;

    private final ObjectMapper json;
    private final Map<String, SerializedString> escaped = new ConcurrentHashMap<>();

    public AdmissionResponses(ObjectMapper json) {
        this.json = json;
    }

    /** The complete AdmissionReview for the engine's decision, as UTF-8 JSON. */
    public byte[] encode(String uid, Decision decision) {
        // Before the answer's generator: a second one open at the same time would not get the thread's buffers.
        byte[] patch = decision.patched() ? patchBytes(decision.patch()) : null;
        return write(512, out -> {
            out.writeStartObject();
            out.writeStringField("apiVersion", AdmissionRequestDecoder.API_VERSION);
            out.writeStringField("kind", "AdmissionReview");
            out.writeObjectFieldStart("response");
            out.writeStringField("uid", uid);
            out.writeBooleanField("allowed", decision.allowed());
            if (!decision.warnings().isEmpty()) {
                out.writeArrayFieldStart("warnings");
                for (String warning : decision.warnings()) {
                    out.writeString(warning);
                }
                out.writeEndArray();
            }
            if (!decision.auditAnnotations().isEmpty()) {
                out.writeObjectFieldStart("auditAnnotations");
                for (Map.Entry<String, String> annotation :
                        decision.auditAnnotations().entrySet()) {
                    out.writeStringField(annotation.getKey(), annotation.getValue());
                }
                out.writeEndObject();
            }
            if (patch != null) {
                out.writeStringField("patchType", "JSONPatch");
                // Jackson's default Base64 is the standard alphabet with padding, as the API server decodes it.
                out.writeBinaryField("patch", patch);
            }
            out.writeObjectFieldStart("status");
            if (decision.allowed()) {
                out.writeNumberField("code", 200);
            } else {
                out.writeNumberField("code", 403);
                out.writeStringField("reason", "Forbidden");
                out.writeFieldName("message");
                writeMessage(out, decision.message());
            }
            out.writeEndObject();
            out.writeEndObject();
            out.writeEndObject();
        });
    }

    /** The RFC 6902 document for a list of operations. */
    public byte[] patchBytes(List<PatchOperation> patch) {
        return write(256, out -> {
            out.writeStartArray();
            for (PatchOperation op : patch) {
                out.writeStartObject();
                out.writeStringField("op", op.op());
                out.writeStringField("path", op.path());
                if (op.value() != null) {
                    out.writeFieldName("value");
                    json.writeTree(out, op.value());
                }
                out.writeEndObject();
            }
            out.writeEndArray();
        });
    }

    private interface Document {
        void writeTo(JsonGenerator out) throws IOException;
    }

    private byte[] write(int sizeHint, Document document) {
        try (ByteArrayBuilder bytes = new ByteArrayBuilder(sizeHint);
                JsonGenerator out = json.getFactory().createGenerator(bytes)) {
            document.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("JSON written to memory cannot fail", e);
        }
    }

    private void writeMessage(JsonGenerator out, String message) throws IOException {
        if (message.length() < LONG_MESSAGE) {
            out.writeString(message);
            return;
        }
        SerializedString kept = escaped.get(message);
        if (kept == null) {
            if (escaped.size() >= KEPT_MESSAGES) {
                escaped.clear();
            }
            kept = new SerializedString(message);
            escaped.put(message, kept);
        }
        out.writeString(kept);
    }
}
