package io.sourceipguard.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/**
 * Reads a PEM certificate with the JDK's own X.509 parser. Kept apart from {@link PemFiles}, which
 * needs BouncyCastle: the server reads its certificate at start-up, and merely loading a class that
 * names a BouncyCastle type costs the signature check of BouncyCastle's signed jar.
 */
public final class CertificatePem {

    private CertificatePem() {}

    /** The first certificate of {@code pem}; {@code what} names the source in the error. */
    public static X509Certificate parse(String pem, String what) throws IOException {
        if (!pem.strip().startsWith("-----BEGIN CERTIFICATE-----")) {
            throw new IOException(what + " does not start with a PEM certificate");
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IOException(what + ": " + e.getMessage(), e);
        }
    }
}
