package io.sourceipguard.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookCertificatesTest {

    @TempDir
    Path dir;

    private List<String> ensure(boolean force) throws Exception {
        return WebhookCertificates.ensure(
                dir, "guard", "ops", Duration.ofDays(10), Duration.ofDays(2), Duration.ofDays(1), force);
    }

    @Test
    void issuesAServingCertificateTheCaVerifiesWithTheInClusterNames() throws Exception {
        ensure(false);
        X509Certificate ca = PemFiles.readCertificate(dir.resolve("ca.crt"));
        X509Certificate serving = PemFiles.readCertificate(dir.resolve("tls.crt"));
        serving.verify(ca.getPublicKey());
        serving.checkValidity();
        assertEquals(0, ca.getBasicConstraints(), "a CA that signs leaves only");
        assertEquals(-1, serving.getBasicConstraints(), "the serving certificate is no CA");
        Set<String> sans = serving.getSubjectAlternativeNames().stream()
                .map(n -> n.get(1).toString())
                .collect(Collectors.toSet());
        assertEquals(
                Set.of("localhost", "127.0.0.1", "guard", "guard.ops", "guard.ops.svc", "guard.ops.svc.cluster.local"),
                sans);
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), serving.getExtendedKeyUsage());
        // the private key matches the certificate
        java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
        signer.initSign(PemFiles.readKey(dir.resolve("tls.key")));
        signer.update(new byte[] {1, 2, 3});
        byte[] signature = signer.sign();
        signer.initVerify(serving.getPublicKey());
        signer.update(new byte[] {1, 2, 3});
        assertTrue(signer.verify(signature));
    }

    @Test
    void keysAreReadableByTheOwnerOnly() throws Exception {
        ensure(false);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls.key"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    }

    @Test
    void anExistingCaIsKeptAndAValidServingCertificateToo() throws Exception {
        ensure(false);
        String ca = Files.readString(dir.resolve("ca.crt"));
        String serving = Files.readString(dir.resolve("tls.crt"));
        List<String> done = ensure(false);
        assertEquals(ca, Files.readString(dir.resolve("ca.crt")));
        assertEquals(serving, Files.readString(dir.resolve("tls.crt")));
        assertTrue(done.get(1).startsWith("kept serving certificate"), done.toString());
        ensure(true);
        assertEquals(ca, Files.readString(dir.resolve("ca.crt")));
        assertNotEquals(serving, Files.readString(dir.resolve("tls.crt")));
        PemFiles.readCertificate(dir.resolve("tls.crt"))
                .verify(PemFiles.readCertificate(dir.resolve("ca.crt")).getPublicKey());
    }

    @Test
    void aServingCertificateInsideTheRenewalWindowIsReissued() throws Exception {
        WebhookCertificates.ensure(
                dir, "guard", "ops", Duration.ofDays(10), Duration.ofHours(12), Duration.ofDays(1), false);
        String serving = Files.readString(dir.resolve("tls.crt"));
        ensure(false);
        assertNotEquals(serving, Files.readString(dir.resolve("tls.crt")));
    }
}
