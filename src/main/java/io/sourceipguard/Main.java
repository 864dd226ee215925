package io.sourceipguard;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.config.StandaloneConfig;
import io.sourceipguard.policies.PoliciesCommand;
import io.sourceipguard.report.ReportCommand;
import io.sourceipguard.tls.CertificateSecret;
import io.sourceipguard.tls.CertsCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * One executable, several jobs: with no arguments it serves the webhook; {@code certs} writes a
 * CA and serving certificate, {@code report} reports what the policies would do, {@code policies}
 * writes the rules as admission policies; each exits without starting the server, so none opens a port.
 */
@QuarkusMain
public final class Main {

    private static final String PKCS12_KEY_ITERATIONS = "keystore.pkcs12.keyPbeIterationCount";
    private static final String EVENT_LOOPS = "quarkus.vertx.event-loops-pool-size";

    private Main() {}

    public static void main(String... args) {
        Object command = args.length == 0
                ? null
                : switch (args[0]) {
                    case "certs" -> new CertsCommand();
                    case "report" -> new ReportCommand();
                    case "policies" -> new PoliciesCommand();
                    default -> null;
                };
        if (command != null) {
            System.exit(new CommandLine(command).execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        GuardConfig config = null;
        try {
            config = StandaloneConfig.load(java.util.Map.of());
        } catch (RuntimeException e) {
            // the server's own configuration check reports it, with the key named
        }
        if (config != null) {
            String bootstrap = selfManagedTls(config);
            if (bootstrap != null) {
                System.err.println(bootstrap);
                System.exit(1);
            }
        }
        String missing = config == null ? null : missingCertificate(config.tls());
        if (missing != null) {
            System.err.println(missing);
            System.exit(2);
        }
        // The TLS layer turns the PEM key into an in-memory PKCS#12 store, which protects it with
        // 10,000 rounds of PBKDF2 on every load (a fifth of the start-up CPU); that store is never
        // written anywhere, so the rounds protect nothing.
        if (System.getProperty(PKCS12_KEY_ITERATIONS) == null) {
            System.setProperty(PKCS12_KEY_ITERATIONS, "1");
        }
        // One event loop per core: an admission is decided entirely on its event loop, so Quarkus'
        // default of two loops per core only adds context switches (docs/benchmarks.md).
        if (System.getProperty(EVENT_LOOPS) == null && System.getenv("QUARKUS_VERTX_EVENT_LOOPS_POOL_SIZE") == null) {
            System.setProperty(
                    EVENT_LOOPS, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
        Quarkus.run(args);
    }

    // In a cluster the webhook can issue its own certificate; it must exist before the server starts.
    private static String selfManagedTls(GuardConfig config) {
        if (!config.tls().selfManaged()) {
            return null;
        }
        try (KubernetesClient client = new KubernetesClientBuilder().build()) {
            CertificateSecret secret = new CertificateSecret(client, config);
            CertificateSecret.Pems pems = secret.ensure();
            secret.writeFiles(pems);
            secret.patchCaBundle(pems);
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            return "sourceip-guard: self-managed TLS (sourceip-guard.tls.self-managed=true) failed: " + e.getMessage()
                    + "; check the API server is reachable and the RBAC of k8s/base is applied.";
        }
    }

    // Without this, a missing certificate ends the start with a stack trace from the TLS layer.
    private static String missingCertificate(GuardConfig.Tls tls) {
        for (String file : new String[] {tls.certFile(), tls.keyFile()}) {
            if (!Files.isReadable(Path.of(file))) {
                return "sourceip-guard: cannot read " + file
                        + ": create a certificate with `make certs` (or `java -jar "
                        + "quarkus-run.jar certs`), or point sourceip-guard.tls.cert-file and tls.key-file "
                        + "(SOURCEIP_GUARD_TLS_CERT_FILE, SOURCEIP_GUARD_TLS_KEY_FILE) at yours.";
            }
        }
        return null;
    }
}
