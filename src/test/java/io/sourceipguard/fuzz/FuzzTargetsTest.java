package io.sourceipguard.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import inet.ipaddr.IPAddress;
import io.sourceipguard.admission.AdmissionRequestDecoder;
import io.sourceipguard.admission.AdmissionResponses;
import io.sourceipguard.admission.BadAdmissionReviewException;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.Rule;
import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import io.sourceipguard.policy.masq.MasqConfigParser;
import io.sourceipguard.testing.CidrOracle;
import io.sourceipguard.testing.TestPolicies;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fuzz targets for everything that reads untrusted input. A crash is any exception other than
 * the documented "bad input" one. Without JAZZER_FUZZ these run their seed corpus as regression
 * tests; {@code make fuzz} fuzzes each for a while (see docs/benchmarks.md).
 */
class FuzzTargetsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PolicyEngine ENGINE = TestPolicies.engine(Map.of());
    private static final AdmissionRequestDecoder DECODER = new AdmissionRequestDecoder(JSON);
    private static final AdmissionResponses RESPONSES = new AdmissionResponses(JSON);

    /** The admission path: any body is either a 400 or a complete, well-formed answer. */
    @FuzzTest(maxDuration = "60s")
    void admissionReview(byte[] body) throws Exception {
        AdmissionRequestDecoder.Decoded request;
        try {
            request = DECODER.decode(body);
        } catch (BadAdmissionReviewException e) {
            assertNotNull(e.getMessage());
            return;
        }
        for (Rule.Phase phase : Rule.Phase.values()) {
            Decision decision = ENGINE.evaluate(request.subject(), ClusterView.UNAVAILABLE, phase);
            JsonNode answer = JSON.readTree(RESPONSES.encode(request.uid(), decision));
            assertEquals(request.uid(), answer.path("response").path("uid").asText());
        }
    }

    /** Structured: real-looking reviews around fuzzed objects reach the rules, not just the decoder. */
    @FuzzTest(maxDuration = "60s")
    void admissionObject(FuzzedDataProvider data) throws Exception {
        String kind = data.pickValue(new String[] {"Service", "Deployment", "DaemonSet", "ConfigMap", "Namespace"});
        String group = "Service".equals(kind) || "ConfigMap".equals(kind) || "Namespace".equals(kind) ? "" : "apps";
        String operation = data.pickValue(new String[] {"CREATE", "UPDATE", "DELETE"});
        String object = data.consumeString(4000);
        String review =
                "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
                        + "\"kind\":{\"group\":\"" + group + "\",\"version\":\"v1\",\"kind\":\"" + kind + "\"},"
                        + "\"namespace\":\"kube-system\",\"name\":\"azure-ip-masq-agent-config\",\"operation\":\""
                        + operation + "\","
                        + "\"userInfo\":{\"username\":\"dev\",\"groups\":[\"developers\"]},\"object\":" + object
                        + ",\"oldObject\":" + data.consumeRemainingAsString() + "}}";
        admissionReview(review.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The ip-masq-agent config parser: any text parses or yields problems that say what is wrong,
     * never an exception; a config it reads is written back (the complete fix's YAML) as the same config.
     */
    @FuzzTest(maxDuration = "60s")
    void masqConfig(byte[] file) {
        // bytes, not String: Jazzer reads a seed for a byte[] as the file it is, for a String through its own encoding
        String text = new String(file, java.nio.charset.StandardCharsets.UTF_8);
        MasqConfigParser.Result result = MasqConfigParser.parse(text);
        if (!result.ok()) {
            assertTrue(
                    result.problems().stream().noneMatch(String::isBlank),
                    result.problems().toString());
            return;
        }
        MasqConfigParser.Result again = MasqConfigParser.parse(result.config().toYaml());
        assertTrue(
                again.ok(), () -> again.problems() + " for " + result.config().toYaml());
        assertEquals(result.config(), again.config(), result.config().toYaml());
    }

    /** CIDR parsing and coverage: parse errors are InvalidCidrException; gaps never overlap the cover. */
    @FuzzTest(maxDuration = "60s")
    void cidrCoverage(FuzzedDataProvider data) {
        try {
            Cidr parsed = Cidrs.parse(data.consumeString(60));
            assertEquals(parsed, Cidrs.parse(parsed.toString()));
        } catch (InvalidCidrException expected) {
            // the documented bad-input path
        }
        List<IPAddress> cover = new ArrayList<>();
        int n = data.consumeInt(0, 64);
        for (int i = 0; i < n; i++) {
            cover.add(CidrOracle.ipv4Block(data.consumeInt(), data.consumeInt(0, 32)));
        }
        List<IPAddress> target = List.of(CidrOracle.ipv4Block(data.consumeInt(), data.consumeInt(0, 32)));
        List<String> fast = Cidrs.uncovered(
                        target.stream().map(CidrOracle::cidr).toList(),
                        cover.stream().map(CidrOracle::cidr).toList())
                .stream()
                .map(Cidr::toString)
                .toList();
        assertEquals(CidrOracle.uncovered(target, cover), fast);
    }
}
