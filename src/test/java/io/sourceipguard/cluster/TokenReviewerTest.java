package io.sourceipguard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two reviews as the API server receives them, from a fake API on loopback: no kube-apiserver
 * can run in the unit tests (e2e/scenarios/60-report.sh runs them against a real one, with real
 * ServiceAccount tokens and RBAC). It checks what is sent and how the answers are read.
 */
class TokenReviewerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, JsonNode> received = new ConcurrentHashMap<>();
    private HttpServer api;
    private KubernetesClient client;
    private volatile String tokenReviewStatus;
    private volatile String accessReviewStatus;

    @BeforeEach
    void start() throws IOException {
        api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        answer(
                "/apis/authentication.k8s.io/v1/tokenreviews",
                "TokenReview",
                "authentication.k8s.io/v1",
                () -> tokenReviewStatus);
        answer(
                "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                "SubjectAccessReview",
                "authorization.k8s.io/v1",
                () -> accessReviewStatus);
        api.start();
        client = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("http://127.0.0.1:" + api.getAddress().getPort())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        api.stop(0);
    }

    private void answer(String path, String kind, String apiVersion, java.util.function.Supplier<String> status) {
        api.createContext(path, exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            received.put(kind, body);
            byte[] reply = ("{\"kind\":\"" + kind + "\",\"apiVersion\":\"" + apiVersion + "\",\"spec\":"
                            + body.get("spec") + ",\"status\":" + status.get() + "}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(201, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
    }

    @Test
    void anAuthenticatedTokenNamesItsUserGroupsAndExtra() {
        tokenReviewStatus = "{\"authenticated\":true,\"user\":{\"username\":\"system:serviceaccount:mon:scraper\","
                + "\"uid\":\"u-1\",\"groups\":[\"system:serviceaccounts\",\"system:authenticated\"],"
                + "\"extra\":{\"authentication.kubernetes.io/credential-id\":[\"JTI=abc\"]}}}";
        Optional<ReportAccess.User> user = new TokenReviewer(() -> client).authenticate("the-token");
        assertEquals("the-token", received.get("TokenReview").at("/spec/token").asText());
        assertTrue(received.get("TokenReview").at("/spec/audiences").isMissingNode(), "the API server's own audiences");
        assertEquals(
                new ReportAccess.User(
                        "system:serviceaccount:mon:scraper",
                        "u-1",
                        List.of("system:serviceaccounts", "system:authenticated"),
                        Map.of("authentication.kubernetes.io/credential-id", List.of("JTI=abc"))),
                user.orElseThrow());
    }

    @Test
    void aTokenTheApiDoesNotAuthenticateHasNoUser() {
        tokenReviewStatus = "{\"authenticated\":false,\"error\":\"invalid bearer token\"}";
        assertEquals(Optional.empty(), new TokenReviewer(() -> client).authenticate("forged"));
    }

    @Test
    void theAccessReviewAsksForTheNonResourceUrlAsThatUser() {
        ReportAccess.User user =
                new ReportAccess.User("alice", "u-2", List.of("team-a"), Map.of("scopes", List.of("x")));
        accessReviewStatus = "{\"allowed\":true}";
        assertTrue(new TokenReviewer(() -> client).allowed(user, "/report", "get"));
        JsonNode spec = received.get("SubjectAccessReview").get("spec");
        assertEquals("alice", spec.get("user").asText());
        assertEquals("u-2", spec.get("uid").asText());
        assertEquals("team-a", spec.at("/groups/0").asText());
        assertEquals("x", spec.at("/extra/scopes/0").asText());
        assertEquals("/report", spec.at("/nonResourceAttributes/path").asText());
        assertEquals("get", spec.at("/nonResourceAttributes/verb").asText());
        assertTrue(spec.at("/resourceAttributes").isMissingNode());

        accessReviewStatus = "{\"allowed\":false,\"reason\":\"no RBAC policy matched\"}";
        assertFalse(new TokenReviewer(() -> client).allowed(user, "/report", "get"));
    }
}
