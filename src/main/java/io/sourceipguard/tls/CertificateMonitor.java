package io.sourceipguard.tls;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.tls.CertificateUpdatedEvent;
import io.quarkus.tls.TlsConfiguration;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.sourceipguard.config.GuardConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps the serving certificate current without a restart: every {@code tls.check-interval} it
 * renews the self-managed certificate when due (and keeps the caBundle set), and whenever the
 * certificate files changed (renewed here, by another replica, or by cert-manager) it reloads
 * them into the running server. Connections already open keep their session; new handshakes
 * get the new certificate, so no request fails.
 */
@ApplicationScoped
public class CertificateMonitor {

    private static final Logger LOG = Logger.getLogger(CertificateMonitor.class);
    private static final String DEFAULT_TLS = "<default>";

    private final GuardConfig config;
    // Resolved only when cluster work starts: creating the client loads hundreds of classes.
    private final Instance<KubernetesClient> client;
    private final TlsConfigurationRegistry registry;
    private final Event<CertificateUpdatedEvent> updated;
    private volatile String loaded;
    private volatile Instant notAfter;
    private ScheduledExecutorService scheduler;

    public CertificateMonitor(
            GuardConfig config,
            Instance<KubernetesClient> client,
            TlsConfigurationRegistry registry,
            Event<CertificateUpdatedEvent> updated,
            MeterRegistry meters) {
        this.config = config;
        this.client = client;
        this.registry = registry;
        this.updated = updated;
        Gauge.builder(
                        "sourceipguard_certificate_expiry_timestamp_seconds",
                        this,
                        m -> m.notAfter == null ? Double.NaN : m.notAfter.getEpochSecond())
                .description("When the serving certificate expires (Unix time)")
                .register(meters);
    }

    // The periodic task's future is not needed: the task catches and logs its own failures, and stop() shuts the
    // executor down.
    @SuppressWarnings("FutureReturnValueIgnored")
    void start(@Observes StartupEvent event) {
        loaded = read(Path.of(config.tls().certFile()));
        notAfter = expiry(loaded);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sourceip-guard-certificates");
            t.setDaemon(true);
            return t;
        });
        long every = config.tls().checkInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    /** When the certificate being served expires. */
    public Optional<Instant> notAfter() {
        return Optional.ofNullable(notAfter);
    }

    void check() {
        try {
            if (config.tls().selfManaged()) {
                CertificateSecret secret = new CertificateSecret(client.get(), config);
                CertificateSecret.Pems pems = secret.ensure();
                secret.writeFiles(pems);
                secret.patchCaBundle(pems);
            }
            String now = read(Path.of(config.tls().certFile()));
            if (now != null && !now.equals(loaded)) {
                reload();
                loaded = now;
                notAfter = expiry(now);
                LOG.infof("serving a new certificate, valid until %s", notAfter);
            }
        } catch (IOException | RuntimeException e) {
            // The current certificate keeps serving; the next check tries again.
            LOG.warnf("certificate check failed: %s", e.getMessage());
        }
    }

    private void reload() {
        TlsConfiguration tls =
                registry.getDefault().orElseThrow(() -> new IllegalStateException("no default TLS configuration"));
        if (!tls.reload()) {
            throw new IllegalStateException("the new certificate files could not be loaded; still serving the old one");
        }
        updated.fire(new CertificateUpdatedEvent(DEFAULT_TLS, tls));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return null;
        }
    }

    private static Instant expiry(String pem) {
        try {
            X509Certificate cert = pem == null ? null : CertificatePem.parse(pem, "the serving certificate");
            return cert == null ? null : cert.getNotAfter().toInstant();
        } catch (IOException e) {
            return null;
        }
    }
}
