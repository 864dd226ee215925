package io.sourceipguard.tls;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sourceipguard.config.GuardConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * Self-managed TLS in a cluster: the CA and serving certificate live in one Secret in the
 * webhook's namespace. Replicas agree through that Secret alone: the first to create it wins
 * (a second create fails with 409), and a renewal is an update with the resourceVersion read,
 * so two replicas renewing at once cannot both win; the loser reads the winner's certificate.
 */
public final class CertificateSecret {

    private static final Logger LOG = Logger.getLogger(CertificateSecret.class);

    /** The PEM texts of the current certificate. */
    public record Pems(String caCert, String caKey, String cert, String key) {}

    private final KubernetesClient client;
    private final GuardConfig config;

    public CertificateSecret(KubernetesClient client, GuardConfig config) {
        this.client = client;
        this.config = config;
    }

    /** Reads the Secret, creating or renewing it when it is missing or due, and returns what it holds. */
    public Pems ensure() {
        GuardConfig.Tls tls = config.tls();
        String namespace = config.cluster().namespace();
        for (int attempt = 0; attempt < 5; attempt++) {
            Secret secret = client.secrets()
                    .inNamespace(namespace)
                    .withName(tls.secretName())
                    .get();
            Pems current = secret == null ? null : pems(secret);
            if (current != null && !due(current)) {
                return current;
            }
            Pems next = issue(current);
            try {
                if (secret == null) {
                    client.secrets()
                            .inNamespace(namespace)
                            .resource(secret(next, null))
                            .create();
                    LOG.infof("created the certificate Secret %s/%s", namespace, tls.secretName());
                } else {
                    client.secrets()
                            .inNamespace(namespace)
                            .resource(secret(next, secret))
                            .update();
                    LOG.infof("renewed the serving certificate in Secret %s/%s", namespace, tls.secretName());
                }
                return next;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // Another replica created or renewed it between our read and our write: use what it wrote.
                LOG.infof(
                        "another replica %s the certificate Secret %s/%s first (409 Conflict); reading its certificate",
                        secret == null ? "created" : "renewed", namespace, tls.secretName());
            }
        }
        throw new IllegalStateException("the certificate Secret keeps changing under us; giving up for now");
    }

    /** Writes the serving pair to the configured files; true when they changed. */
    public boolean writeFiles(Pems pems) throws IOException {
        Path cert = Path.of(config.tls().certFile());
        Path key = Path.of(config.tls().keyFile());
        if (Files.exists(cert)
                && Files.exists(key)
                && Files.readString(cert).equals(pems.cert())
                && Files.readString(key).equals(pems.key())) {
            return false;
        }
        if (cert.getParent() != null) {
            Files.createDirectories(cert.getParent());
        }
        replace(key, pems.key());
        replace(cert, pems.cert());
        return true;
    }

    /** Sets the caBundle of every webhook in both configurations to our CA, where it differs. */
    public void patchCaBundle(Pems pems) {
        String ca = Base64.getEncoder().encodeToString(pems.caCert().getBytes(StandardCharsets.US_ASCII));
        String name = config.tls().webhookConfiguration();
        boolean found = false;
        for (String kind : new String[] {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
            var resource = client.genericKubernetesResources("admissionregistration.k8s.io/v1", kind)
                    .withName(name);
            GenericKubernetesResource configuration = resource.get();
            if (configuration == null) {
                continue;
            }
            found = true;
            // One JSON Patch op per webhook whose caBundle differs; nothing else in the object is touched.
            StringBuilder ops = new StringBuilder();
            Object webhooks = configuration.getAdditionalProperties().get("webhooks");
            List<?> list = webhooks instanceof List<?> l ? l : List.of();
            for (int i = 0; i < list.size(); i++) {
                Object clientConfig = list.get(i) instanceof Map<?, ?> w ? w.get("clientConfig") : null;
                Object current = clientConfig instanceof Map<?, ?> c ? c.get("caBundle") : null;
                if (!ca.equals(current)) {
                    ops.append(ops.length() == 0 ? "[" : ",")
                            .append("{\"op\":\"add\",\"path\":\"/webhooks/")
                            .append(i)
                            .append("/clientConfig/caBundle\",\"value\":\"")
                            .append(ca)
                            .append("\"}");
                }
            }
            if (ops.length() > 0) {
                resource.patch(PatchContext.of(PatchType.JSON), ops.append("]").toString());
                LOG.infof("set the caBundle of %s %s", kind, name);
            }
        }
        if (!found) {
            LOG.warnf("no webhook configuration named %s yet: its caBundle will be set at the next check", name);
        }
    }

    private boolean due(Pems pems) {
        try {
            X509Certificate cert = PemFiles.parseCertificate(pems.cert());
            return !cert.getNotAfter()
                    .toInstant()
                    .isAfter(Instant.now().plus(config.tls().renewBefore()));
        } catch (IOException e) {
            LOG.warnf("the certificate in the Secret cannot be read (%s); issuing a new one", e.getMessage());
            return true;
        }
    }

    // Keeps a readable CA (it is in every caBundle already); issues a CA only when there is none.
    private Pems issue(Pems current) {
        GuardConfig.Tls tls = config.tls();
        IssuedCertificate ca = null;
        if (current != null) {
            try {
                ca = new IssuedCertificate(
                        PemFiles.parseCertificate(current.caCert()), PemFiles.parseKey(current.caKey()));
            } catch (IOException e) {
                LOG.warnf("the CA in the Secret cannot be read (%s); issuing a new CA", e.getMessage());
            }
        }
        if (ca == null) {
            ca = CertificateIssuer.newCa("sourceip-guard-ca", tls.caValidity());
        }
        IssuedCertificate serving = CertificateIssuer.newServing(
                ca,
                WebhookCertificates.dnsNames(tls.serviceName(), config.cluster().namespace()),
                List.of("127.0.0.1"),
                tls.validity());
        return new Pems(
                PemFiles.pem(ca.certificate()),
                PemFiles.pem(ca.key()),
                PemFiles.pem(serving.certificate()),
                PemFiles.pem(serving.key()));
    }

    private Secret secret(Pems pems, Secret previous) {
        Map<String, String> data = new HashMap<>();
        data.put(WebhookCertificates.CA_CERT, b64(pems.caCert()));
        data.put(WebhookCertificates.CA_KEY, b64(pems.caKey()));
        data.put(WebhookCertificates.TLS_CERT, b64(pems.cert()));
        data.put(WebhookCertificates.TLS_KEY, b64(pems.key()));
        SecretBuilder builder = previous == null ? new SecretBuilder() : new SecretBuilder(previous);
        return builder.editOrNewMetadata()
                .withName(config.tls().secretName())
                .withNamespace(config.cluster().namespace())
                .addToLabels("app.kubernetes.io/managed-by", "sourceip-guard")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(data)
                .build();
    }

    private static Pems pems(Secret secret) {
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        String ca = text(data.get(WebhookCertificates.CA_CERT));
        String caKey = text(data.get(WebhookCertificates.CA_KEY));
        String cert = text(data.get(WebhookCertificates.TLS_CERT));
        String key = text(data.get(WebhookCertificates.TLS_KEY));
        return ca == null || caKey == null || cert == null || key == null ? null : new Pems(ca, caKey, cert, key);
    }

    private static String text(String base64) {
        return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(Objects.requireNonNull(text).getBytes(StandardCharsets.US_ASCII));
    }

    private static void replace(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(
                tmp,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
