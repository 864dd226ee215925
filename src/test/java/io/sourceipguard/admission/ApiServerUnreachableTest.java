package io.sourceipguard.admission;

import static io.sourceipguard.testing.Fixtures.manifest;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.config.SSLConfig;
import io.sourceipguard.testing.BlackHoleApiServer;
import io.sourceipguard.testing.Reviews;
import io.sourceipguard.testing.TestCertificates;
import java.net.URL;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes API accepts connections and never answers: the webhook still starts, stays
 * ready, and answers admissions from its fallbacks (a client timeout turns a hang into a failure).
 */
@QuarkusTest
@TestProfile(ApiServerUnreachableTest.ClusterOn.class)
@QuarkusTestResource(value = BlackHoleApiServer.class, restrictToAnnotatedClass = true)
class ApiServerUnreachableTest {

    /** A profile of its own, so that this application instance talks to the black hole. */
    public static class ClusterOn implements QuarkusTestProfile {}

    @TestHTTPResource(value = "/", tls = true)
    URL url;

    private io.restassured.specification.RequestSpecification https() {
        return io.restassured.RestAssured.given()
                .baseUri(url.toString())
                .config(RestAssuredConfig.config()
                        .sslConfig(SSLConfig.sslConfig().trustStore(TestCertificates.trustStore()))
                        .httpClient(HttpClientConfig.httpClientConfig()
                                .setParam("http.socket.timeout", 10_000)
                                .setParam("http.connection.timeout", 10_000)))
                .contentType("application/json");
    }

    // The Nodes cannot be read, so the pod network is unknown: judged as overlay, which admits
    // AKS's own shape (alone, with warnings) and never asks to stop masquerading the internet.
    @Test
    void masqConfigsAreJudgedAloneAsOnAnOverlayNetworkWithWarnings() {
        ObjectNode cm = manifest("aks-azure-ip-masq-agent-config.yaml");
        cm.with("data").put("ip-masq-agent", "nonMasqueradeCIDRs: [10.244.0.0/16]\nmasqLinkLocal: true\n");
        https().body(Reviews.create(cm).toString())
                .post("/validate")
                .then()
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body(
                        "response.warnings",
                        hasItem("sourceip-guard: [masquerade-config] sibling ip-masq-agent configs could "
                                + "not be read; judged azure-ip-masq-agent-config alone"))
                .body(
                        "response.warnings",
                        hasItem(containsString("the Nodes cannot be read yet, so the pod network is unknown")));
        cm.with("data").put("ip-masq-agent", "nonMasqueradeCIDRs: [10.244.0.0/16, 0.0.0.0/1]\nmasqLinkLocal: true\n");
        https().body(Reviews.create(cm).toString())
                .post("/validate")
                .then()
                .statusCode(200)
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("which cuts the pods' egress there"))
                .body(
                        "response.status.message",
                        containsString("nonMasqueradeCIDRs: [10.0.0.0/8, 100.64.0.0/10] (2 blocks)"));
    }

    @Test
    void namespaceLabelsFallBackToTheConfiguredModes() {
        https().body(Reviews.create(manifest("traefik-service.yaml")).toString())
                .post("/mutate")
                .then()
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response.patchType", equalTo("JSONPatch"))
                .body("response.warnings", hasItem(containsString("set spec.externalTrafficPolicy=Local")));
    }

    // Whether a node carries the ingress pool is unknown: pinning could leave every pod Pending.
    @Test
    void ingressControllersAreLeftUnpinnedWhileTheNodesCannotBeRead() {
        https().body(Reviews.create(manifest("ingress-nginx-controller-deployment.yaml"))
                        .toString())
                .post("/mutate")
                .then()
                .statusCode(200)
                .body("response.allowed", equalTo(true))
                .body("response", not(hasKey("patch")))
                .body("response.warnings", hasItem(containsString("left unpinned")))
                .body("response.auditAnnotations.ingress-node-pool", equalTo("warned"));
    }

    // The scan lists the whole cluster: without a bearer token nothing is said, and the API is not asked.
    @Test
    void reportWithoutATokenIsUnauthorized() {
        https().get("/report")
                .then()
                .statusCode(401)
                .header("WWW-Authenticate", equalTo("Bearer"))
                .body("code", equalTo(401))
                .body("message", containsString("needs a bearer token"))
                .body("$", not(hasKey("results")));
    }

    // Past cluster.sync-timeout (0s in this profile) readiness no longer waits for the caches, and says which
    // are answered from fallbacks.
    @Test
    void readinessDoesNotDependOnTheApiPastTheSyncTimeout() {
        https().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'cluster-caches' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'cluster-caches' }.data.notSynced", containsString("Nodes"));
    }
}
