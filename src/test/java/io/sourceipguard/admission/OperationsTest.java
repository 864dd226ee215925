package io.sourceipguard.admission;

import static io.sourceipguard.testing.Fixtures.manifest;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.sourceipguard.testing.Reviews;
import io.sourceipguard.testing.TestCertificates;
import java.net.URL;
import org.junit.jupiter.api.Test;

/** Health and metrics, as a platform team observes the webhook. */
@QuarkusTest
@QuarkusTestResource(TestCertificates.class)
class OperationsTest {

    @TestHTTPResource(value = "/", tls = true)
    URL url;

    private RequestSpecification https() {
        return TestCertificates.https(url);
    }

    @Test
    void readinessShowsTheCertificateExpiryWithoutTheKubernetesApi() {
        https().get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.find { it.name == 'serving-certificate' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'serving-certificate' }.data.hoursLeft", greaterThan(1));
    }

    @Test
    void dryRunRequestsAreCountedApartFromRealOnes() {
        ObjectNode review = Reviews.create(manifest("traefik-service.yaml"));
        review.with("request").put("dryRun", true);
        https().contentType("application/json")
                .body(review.toString())
                .post("/mutate")
                .then()
                .statusCode(200);
        https().get("/q/metrics")
                .then()
                .statusCode(200)
                .body(containsString("sourceipguard_admission_reviews_total{decision=\"patched\",dry_run=\"true\","
                        + "endpoint=\"mutate\",kind=\"Service\",operation=\"CREATE\"}"))
                .body(containsString(
                        "sourceipguard_rule_findings_total{dry_run=\"true\",kind=\"Service\",operation=\"CREATE\","
                                + "outcome=\"mutate\",rule=\"service-external-traffic-policy\"}"))
                .body(containsString("sourceipguard_admission_review_duration_seconds_bucket{endpoint=\"mutate\""))
                .body(containsString("sourceipguard_certificate_expiry_timestamp_seconds"));
    }

    @Test
    void reportIsUnavailableWithoutAKubernetesApi() {
        https().header("Authorization", "Bearer any")
                .get("/report")
                .then()
                .statusCode(503)
                .body("code", equalTo(503))
                .body("message", containsString("no Kubernetes API is configured"));
    }
}
