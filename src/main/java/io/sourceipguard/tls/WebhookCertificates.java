package io.sourceipguard.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The certificate files of a webhook in one directory: {@code ca.crt}/{@code ca.key} (kept when
 * present, so an operator can bring their own CA) and {@code tls.crt}/{@code tls.key}, the
 * serving pair, with SANs for localhost, 127.0.0.1 and the in-cluster Service names.
 */
public final class WebhookCertificates {

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String TLS_CERT = "tls.crt";
    public static final String TLS_KEY = "tls.key";

    private WebhookCertificates() {}

    /** The names the serving certificate must carry for a Service in a namespace. */
    public static List<String> dnsNames(String service, String namespace) {
        List<String> names = new ArrayList<>();
        names.add("localhost");
        names.add(service);
        names.add(service + "." + namespace);
        names.add(service + "." + namespace + ".svc");
        names.add(service + "." + namespace + ".svc.cluster.local");
        return names;
    }

    /**
     * Makes sure the directory holds a CA and a serving certificate; returns what it did, one
     * line per file, for people. An existing CA is reused; the serving pair is reissued when
     * missing, when {@code force} is set, or when it expires within {@code renewBefore}.
     */
    public static List<String> ensure(
            Path dir,
            String service,
            String namespace,
            Duration caValidity,
            Duration validity,
            Duration renewBefore,
            boolean force)
            throws IOException {
        Files.createDirectories(dir);
        List<String> done = new ArrayList<>();
        Path caCert = dir.resolve(CA_CERT);
        Path caKey = dir.resolve(CA_KEY);
        IssuedCertificate ca;
        if (Files.exists(caCert) && Files.exists(caKey)) {
            ca = new IssuedCertificate(PemFiles.readCertificate(caCert), PemFiles.readKey(caKey));
            done.add("kept CA " + caCert + " ("
                    + ca.certificate().getSubjectX500Principal().getName() + ")");
        } else {
            ca = CertificateIssuer.newCa("sourceip-guard-ca", caValidity);
            PemFiles.writeKey(caKey, ca.key());
            PemFiles.writeCertificate(caCert, ca.certificate());
            done.add("created CA " + caCert);
            force = true;
        }
        Path cert = dir.resolve(TLS_CERT);
        Path key = dir.resolve(TLS_KEY);
        if (!force
                && Files.exists(cert)
                && Files.exists(key)
                && stillValid(PemFiles.readCertificate(cert), renewBefore)) {
            done.add("kept serving certificate " + cert);
            return done;
        }
        IssuedCertificate serving =
                CertificateIssuer.newServing(ca, dnsNames(service, namespace), List.of("127.0.0.1"), validity);
        PemFiles.writeKey(key, serving.key());
        PemFiles.writeCertificate(cert, serving.certificate());
        done.add("created serving certificate " + cert + " for " + String.join(", ", dnsNames(service, namespace))
                + ", 127.0.0.1, valid until "
                + serving.certificate().getNotAfter().toInstant());
        return done;
    }

    private static boolean stillValid(X509Certificate certificate, Duration renewBefore) {
        return certificate.getNotAfter().toInstant().isAfter(Instant.now().plus(renewBefore));
    }
}
