package io.sourceipguard.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PatchOperation;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The answers written straight to bytes, read back as the API server reads them. */
class AdmissionResponsesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final AdmissionResponses responses = new AdmissionResponses(JSON);

    @Test
    void longDenialsKeepTheirOwnTextWhenEscapedOnce() throws Exception {
        // Both past the length from which the escaped form is kept; quotes, newlines and non-ASCII must survive.
        String first = "[masquerade-config] \"fix\":\n" + "10.0.0.0/8 ".repeat(100) + "…";
        String second = first.replace("10.0.0.0/8", "10.0.0.0/9");
        for (String message : List.of(first, second, first, new String(second))) {
            Decision denied = new Decision(false, message, List.of(), List.of("w"), Map.of("r", "denied"), List.of());
            JsonNode answer = JSON.readTree(responses.encode("uid-1", denied)).path("response");
            assertEquals(message, answer.path("status").path("message").asText());
            assertEquals(403, answer.path("status").path("code").asInt());
            assertFalse(answer.path("allowed").asBoolean());
            assertEquals("w", answer.path("warnings").path(0).asText());
            assertEquals("denied", answer.path("auditAnnotations").path("r").asText());
        }
    }

    @Test
    void aPatchIsStandardBase64OfItsOperations() throws Exception {
        List<PatchOperation> patch = List.of(
                PatchOperation.add("/spec/externalTrafficPolicy", TextNode.valueOf("Local")),
                new PatchOperation("remove", "/metadata/labels/a~1b", null));
        Decision patched = new Decision(true, "", patch, List.of(), Map.of(), List.of());
        JsonNode answer = JSON.readTree(responses.encode("uid-2", patched)).path("response");
        assertEquals("JSONPatch", answer.path("patchType").asText());
        assertEquals(
                JSON.readTree("[{\"op\":\"add\",\"path\":\"/spec/externalTrafficPolicy\",\"value\":\"Local\"},"
                        + "{\"op\":\"remove\",\"path\":\"/metadata/labels/a~1b\"}]"),
                JSON.readTree(Base64.getDecoder().decode(answer.path("patch").asText())));
        assertEquals("uid-2", answer.path("uid").asText());
        assertEquals(200, answer.path("status").path("code").asInt());
    }
}
