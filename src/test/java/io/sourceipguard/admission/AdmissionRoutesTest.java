package io.sourceipguard.admission;

import static io.sourceipguard.testing.Fixtures.changedPaths;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.Reviews;
import io.sourceipguard.testing.TestCertificates;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The admission door over real HTTPS, with a certificate issued by the webhook's own CA code. */
@QuarkusTest
@QuarkusTestResource(TestCertificates.class)
class AdmissionRoutesTest {

    @TestHTTPResource(value = "/", tls = true)
    URL url;

    private RequestSpecification https() {
        return TestCertificates.https(url).contentType("application/json");
    }

    private ValidatableResponse post(String path, JsonNode review) {
        return https().body(review.toString()).post(path).then();
    }

    /** Decodes the answer's patch, applies it with an independent JSON Patch library, returns the result. */
    private static JsonNode patchedObject(ObjectNode review, ValidatableResponse answer) throws Exception {
        String patch = answer.extract().path("response.patch");
        JsonNode ops = Fixtures.JSON.readTree(Base64.getDecoder().decode(patch));
        return JsonPatch.apply(ops, review.at("/request/object"));
    }

    @Test
    void loadBalancerServiceIsPatchedToLocalAndNothingElseChanges() throws Exception {
        ObjectNode service = manifest("traefik-service.yaml");
        service.with("spec").put("x-unknown-to-the-webhook", "kept");
        ObjectNode review = Reviews.create(service);
        ValidatableResponse answer = post("/mutate", review)
                .statusCode(200)
                .body("apiVersion", equalTo("admission.k8s.io/v1"))
                .body("kind", equalTo("AdmissionReview"))
                .body("response.uid", equalTo(review.at("/request/uid").asText()))
                .body("response.allowed", equalTo(true))
                .body("response.patchType", equalTo("JSONPatch"))
                .body("response.warnings[0]", startsWith("sourceip-guard: [service-external-traffic-policy] set"));
        JsonNode patched = patchedObject(review, answer);
        assertEquals(Set.of("/spec/externalTrafficPolicy"), changedPaths(service, patched));
        assertEquals("Local", patched.at("/spec/externalTrafficPolicy").asText());
    }

    @Test
    void ingressControllerGetsThePoolSelectorWithTheKeyEscaped() throws Exception {
        ObjectNode deployment = manifest("ingress-nginx-controller-deployment.yaml");
        ObjectNode review = Reviews.create(deployment);
        ValidatableResponse answer = post("/mutate", review).statusCode(200).body("response.allowed", equalTo(true));
        String ops = new String(
                Base64.getDecoder().decode(answer.extract().<String>path("response.patch")), StandardCharsets.UTF_8);
        assertEquals(
                "[{\"op\":\"add\",\"path\":\"/spec/template/spec/nodeSelector/kubernetes.azure.com~1agentpool\","
                        + "\"value\":\"ingress\"}]",
                ops);
        assertEquals(
                Set.of("/spec/template/spec/nodeSelector/kubernetes.azure.com~1agentpool"),
                changedPaths(deployment, patchedObject(review, answer)));
    }

    @Test
    void aGatewayControllersConfigurationIsPatchedAtItsSource() throws Exception {
        ObjectNode proxy = manifest("envoy-gateway-envoyproxy.yaml");
        ObjectNode review = Reviews.create(proxy);
        ValidatableResponse answer = post("/mutate", review)
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body(
                        "response.warnings[0]",
                        startsWith("sourceip-guard: [gateway-config] set spec.provider.kubernetes"));
        assertEquals(
                Set.of("/spec/provider/kubernetes/envoyDeployment/pod/nodeSelector"),
                changedPaths(proxy, patchedObject(review, answer)));
    }

    @Test
    void istiosClassDefaultsConfigMapGetsItsOverlaysWrittenBack() throws Exception {
        ObjectNode configMap = manifest("istio-gateway-class-defaults-configmap.yaml");
        ObjectNode review = Reviews.create(configMap);
        ValidatableResponse answer = post("/mutate", review)
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body(
                        "response.warnings[0]",
                        startsWith(
                                "sourceip-guard: [gateway-config] set externalTrafficPolicy: Local"
                                        + " in the service overlay, set nodeSelector kubernetes.azure.com/agentpool=ingress in the deployment overlay"));
        JsonNode patched = patchedObject(review, answer);
        assertEquals(Set.of("/data/deployment", "/data/service"), changedPaths(configMap, patched));
        assertEquals(
                "spec:\n  externalTrafficPolicy: Local\n",
                patched.at("/data/service").asText());
    }

    @Test
    void anAllowListIsAdmittedOnValidateWithAWarning() {
        post("/validate", Reviews.create(manifest("allowlists/field-report-ingress-whitelist.yaml")))
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response", not(hasKey("patch")))
                .body("response.warnings[0]", startsWith("sourceip-guard: [allow-list-source-ip]"));
    }

    @Test
    void compliantAndUnhandledObjectsAreAllowedWithoutAPatch() {
        for (String fixture : new String[] {
            "ingress-nginx-controller-service.yaml",
            "clusterip-service.yaml",
            "web-deployment.yaml",
            "upstream-ip-masq-agent-config.yaml"
        }) {
            post("/mutate", Reviews.create(manifest(fixture)))
                    .statusCode(200)
                    .body("response.allowed", equalTo(true))
                    .body("response", not(hasKey("patch")))
                    .body("response", not(hasKey("patchType")))
                    .body("response", not(hasKey("warnings")));
        }
        post("/validate", Reviews.create(manifest("traefik-service.yaml")))
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response", not(hasKey("patch")));
    }

    @Test
    void masqConfigThatHidesPodIpsIsDeniedWith403AndTheFix() {
        ObjectNode review = Reviews.create(manifest("aks-azure-ip-masq-agent-config.yaml"));
        post("/validate", review)
                .statusCode(200)
                .body("response.uid", equalTo(review.at("/request/uid").asText()))
                .body("response.allowed", equalTo(false))
                .body("response.status.code", equalTo(403))
                .body("response.status.reason", equalTo("Forbidden"))
                .body(
                        "response.status.message",
                        startsWith("[masquerade-config] kube-system/azure-ip-masq-agent-config "))
                .body("response.status.message", containsString("masquerades pod traffic to 0.0.0.0/5, 8.0.0.0/7"))
                .body(
                        "response.status.message",
                        containsString("The complete fix: set data key 'ip-masq-agent' to "
                                + "nonMasqueradeCIDRs: [0.0.0.0/1, 128.0.0.0/3"))
                .body("response", not(hasKey("patch")));
    }

    @Test
    void coveringMasqConfigIsAllowedAndDeleteIsDenied() {
        ObjectNode cm = manifest("aks-azure-ip-masq-agent-config.yaml");
        cm.with("data")
                .put(
                        "ip-masq-agent",
                        manifest("ebpf/aks-azure-dns-imds-ip-masq-agent-config.yaml")
                                .at("/data/config")
                                .asText());
        post("/validate", Reviews.create(cm)).statusCode(200).body("response.allowed", equalTo(true));
        post("/validate", Reviews.review("DELETE", null, cm))
                .statusCode(200)
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("deleting kube-system/azure-ip-masq-agent-config"));
    }

    @Test
    void malformedBodiesAre400WithAMessage() {
        ObjectNode noUid = Reviews.create(manifest("traefik-service.yaml"));
        noUid.with("request").remove("uid");
        ObjectNode objectIsText = Reviews.create(manifest("traefik-service.yaml"));
        objectIsText.with("request").put("object", "not an object");
        ObjectNode noObject = Reviews.create(manifest("traefik-service.yaml"));
        noObject.with("request").remove("object");
        ObjectNode badOperation = Reviews.create(manifest("traefik-service.yaml"));
        badOperation.with("request").put("operation", "EXPLODE");
        ObjectNode v1beta1 = Reviews.create(manifest("traefik-service.yaml"));
        v1beta1.put("apiVersion", "admission.k8s.io/v1beta1");
        String[][] cases = {
            {"", "empty body"},
            {"{\"apiVersion\":", "body is not valid JSON"},
            {"[1,2,3]", "body is not a JSON object"},
            {"{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}", "not an admission.k8s.io/v1 AdmissionReview"},
            {v1beta1.toString(), "list admissionReviewVersions [v1]"},
            {"{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"}", "has no 'request' object"},
            {noUid.toString(), "has no 'uid'"},
            {objectIsText.toString(), "'object' is not a Kubernetes object"},
            {noObject.toString(), "'object' is required for CREATE"},
            {badOperation.toString(), "'operation' must be CREATE, UPDATE, DELETE or CONNECT"},
            {"[".repeat(5000), "body is not valid JSON"},
        };
        for (String[] c : cases) {
            for (String path : new String[] {"/mutate", "/validate"}) {
                https().body(c[0])
                        .post(path)
                        .then()
                        .statusCode(400)
                        .contentType("application/json")
                        .body("code", equalTo(400))
                        .body("message", containsString(c[1]));
            }
        }
    }

    @Test
    void wrongContentTypeIs415() {
        https().contentType("text/plain")
                .body("hello")
                .post("/mutate")
                .then()
                .statusCode(415)
                .body("message", containsString("send the AdmissionReview as application/json"));
    }

    @Test
    void bodiesOverTheLargestReviewAre413BeforeTheyAreRead() {
        byte[] big = new byte[24 * 1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        https().body(big)
                .post("/mutate")
                .then()
                .statusCode(413)
                .body(
                        "message",
                        containsString("over the limit of 25165824 bytes (sourceip-guard.admission.max-review-size)"));
    }

    @Test
    void anOversizedBodyThatIsNoReviewIs413() {
        byte[] big = new byte[3 * 1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        https().body(big)
                .post("/mutate")
                .then()
                .statusCode(413)
                .body("message", containsString("its start names no AdmissionReview request to answer"));
    }

    // Padding a write past the body limit must not turn a failed call into an unjudged write
    // (failurePolicy Ignore): the API server escapes <, > and & to six bytes, so 600 kB of '<'
    // in an annotation is a 3.6 MB review.
    @Test
    void aReviewPaddedPastTheLimitIsJudgedFromWhoAsksAndRefused() {
        ObjectNode service = manifest("ingress-nginx-controller-service-cluster.yaml");
        service.with("metadata").with("annotations").put("padding", "<".repeat(600 * 1024));
        ObjectNode review = Reviews.review("UPDATE", service, service);
        String body = review.toString().replace("<", "\\u003c");
        https().body(body)
                .post("/mutate")
                .then()
                .statusCode(200)
                .body("response.uid", equalTo(review.at("/request/uid").asText()))
                .body("response.allowed", equalTo(false))
                .body("response.status.code", equalTo(403))
                .body(
                        "response.status.message",
                        startsWith("[size] the review is 7.0 MiB, over the 3.0 MiB sourceip-guard reads"))
                .body(
                        "response.status.message",
                        containsString("service-external-traffic-policy cannot judge Service"));
        // a DELETE no rule looks at is admitted, with a warning
        ObjectNode delete = Reviews.review("DELETE", null, service);
        https().body(delete.toString().replace("<", "\\u003c"))
                .post("/mutate")
                .then()
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response.warnings[0]", containsString("admitted unjudged"));
    }

    @Test
    void chunkedBodiesOverTheLimitAreReadOnlyForTheirStart() throws Exception {
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        trust.init(TestCertificates.trustStore());
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .sslContext(tls)
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        byte[] big = new byte[3 * 1024 * 1024 + 1];
        java.util.Arrays.fill(big, (byte) ' ');
        // a body of unknown length goes out chunked: no Content-Length to refuse it by in advance
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        url.toURI().resolve("/validate"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big)))
                .build();
        java.net.http.HttpResponse<String> answer =
                client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(413, answer.statusCode());
        assertEquals(413, Fixtures.JSON.readTree(answer.body()).path("code").asInt());
        org.hamcrest.MatcherAssert.assertThat(
                answer.body(), containsString("its start names no AdmissionReview request to answer"));
    }

    @Test
    void aBodyJustUnderTheLimitIsRead() {
        ObjectNode review = Reviews.create(manifest("traefik-service.yaml"));
        review.with("request")
                .with("object")
                .with("metadata")
                .with("annotations")
                .put("padding", "x".repeat(3 * 1024 * 1024 - 4096));
        post("/mutate", review)
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response.patch", not(nullValue()));
    }
}
