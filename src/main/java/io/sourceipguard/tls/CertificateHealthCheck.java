package io.sourceipguard.tls;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while the served certificate is valid, with its expiry in the details. Deliberately
 * local: readiness never depends on reaching the Kubernetes API, so admissions keep flowing when
 * the API server is slow.
 */
@Readiness
@ApplicationScoped
public class CertificateHealthCheck implements HealthCheck {

    private final CertificateMonitor monitor;

    public CertificateHealthCheck(CertificateMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("serving-certificate");
        return monitor.notAfter()
                .map(notAfter -> response.status(notAfter.isAfter(Instant.now()))
                        .withData("notAfter", notAfter.toString())
                        .withData(
                                "hoursLeft",
                                Duration.between(Instant.now(), notAfter).toHours())
                        .build())
                .orElseGet(() -> response.down()
                        .withData("error", "the certificate file cannot be read")
                        .build());
    }
}
