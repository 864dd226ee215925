package io.sourceipguard.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sourceipguard.tls.PemFiles;
import io.sourceipguard.tls.WebhookCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;

/**
 * Real certificates for tests that speak HTTPS: a CA and a serving certificate issued by the
 * webhook's own BouncyCastle code before the application starts, and a trust store with the CA.
 */
public class TestCertificates implements QuarkusTestResourceLifecycleManager {

    public static final Path DIR = Path.of("target", "test-certs");

    @Override
    public Map<String, String> start() {
        try {
            WebhookCertificates.ensure(
                    DIR,
                    "sourceip-guard",
                    "sourceip-guard",
                    Duration.ofDays(2),
                    Duration.ofDays(1),
                    Duration.ofHours(1),
                    false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "sourceip-guard.tls.cert-file",
                        DIR.resolve(WebhookCertificates.TLS_CERT).toString(),
                "sourceip-guard.tls.key-file",
                        DIR.resolve(WebhookCertificates.TLS_KEY).toString());
    }

    @Override
    public void stop() {}

    /** A REST Assured request to the application's HTTPS port, trusting only the test CA. */
    public static io.restassured.specification.RequestSpecification https(java.net.URL url) {
        return io.restassured.RestAssured.given()
                .baseUri(url.toString())
                .config(io.restassured.config.RestAssuredConfig.config()
                        .sslConfig(io.restassured.config.SSLConfig.sslConfig().trustStore(trustStore())));
    }

    /** A trust store holding only the test CA. */
    public static KeyStore trustStore() {
        try {
            X509Certificate ca = PemFiles.readCertificate(DIR.resolve(WebhookCertificates.CA_CERT));
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("sourceip-guard-ca", ca);
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
