package io.sourceipguard.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.report.ClusterSource;
import io.sourceipguard.report.Manifest;
import io.sourceipguard.report.ManifestClusterView;
import io.sourceipguard.report.Report;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The background door: every {@code scan.interval} it reports on the whole cluster with the same
 * engine as admission, keeps the latest report for {@code GET /report}, and, on the one replica
 * that holds the Lease, writes it as PolicyReports. Off the request path, on its own thread.
 */
@ApplicationScoped
public class ReportScanner {

    private static final Logger LOG = Logger.getLogger(ReportScanner.class);
    private static final String LEASE = "sourceip-guard-report";

    /** A finished scan. */
    public record Scan(Report report, Instant finishedAt) {}

    // Resolved only when cluster work starts: creating the client loads hundreds of classes.
    private final Instance<KubernetesClient> client;
    private final GuardConfig config;
    private final PolicyEngine engine;
    private final AtomicReference<Scan> latest = new AtomicReference<>();
    private final AtomicBoolean leader = new AtomicBoolean();
    private ScheduledExecutorService scheduler;
    private CompletableFuture<?> election;

    private final MultiGauge findings;

    public ReportScanner(
            Instance<KubernetesClient> client, GuardConfig config, PolicyEngine engine, MeterRegistry meters) {
        this.client = client;
        this.config = config;
        this.engine = engine;
        this.findings = MultiGauge.builder("sourceipguard_report_findings")
                .description("Findings of the latest background scan, by rule and result")
                .register(meters);
    }

    // The periodic task's future is not needed: the task catches and logs its own failures, and stop() shuts the
    // executor down.
    @SuppressWarnings("FutureReturnValueIgnored")
    void start(@Observes StartupEvent event) {
        Optional<Duration> interval = config.scan().interval();
        if (interval.isEmpty() || !config.cluster().enabled()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sourceip-guard-scan");
            t.setDaemon(true);
            return t;
        });
        if (config.scan().writePolicyReports()) {
            elect();
        }
        scheduler.scheduleWithFixedDelay(this::scanOnce, 0, interval.get().toMillis(), TimeUnit.MILLISECONDS);
        LOG.infof(
                "scanning the cluster every %s%s",
                interval.get(),
                config.scan().writePolicyReports() ? " and writing PolicyReports when holding the Lease " + LEASE : "");
    }

    void stop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (election != null) {
            election.cancel(true);
        }
    }

    /** The latest finished scan, if any. */
    public Optional<Scan> latest() {
        return Optional.ofNullable(latest.get());
    }

    public boolean enabled() {
        return scheduler != null;
    }

    void scanOnce() {
        try {
            List<Manifest> manifests =
                    ClusterSource.read(client.get(), config.rules().masqueradeConfig());
            Report report = Report.of(engine, manifests, new ManifestClusterView(manifests, true));
            latest.set(new Scan(report, Instant.now()));
            Map<String, Integer> counts = new TreeMap<>();
            report.rows().forEach(r -> counts.merge(r.rule() + "\u0000" + r.result(), 1, Integer::sum));
            findings.register(
                    counts.entrySet().stream()
                            .map(e -> {
                                String[] key = e.getKey().split("\u0000", 2);
                                return MultiGauge.Row.of(Tags.of("rule", key[0], "result", key[1]), e.getValue());
                            })
                            .collect(java.util.stream.Collectors.toList()),
                    true);
            if (leader.get()) {
                List<ObjectNode> reports = io.sourceipguard.report.PolicyReports.of(report, Instant.now());
                new PolicyReportWriter(client.get()).write(reports);
            }
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            // The next scan tries again; admission does not depend on this.
            LOG.warnf(
                    "cluster scan failed: %s",
                    e.getCode() == 404 && e.getMessage().contains("wgpolicyk8s.io")
                            ? "the PolicyReport CRDs are not installed; apply k8s/crds (or set sourceip-guard.scan.write-policy-reports=false)"
                            : e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("cluster scan failed: %s", e.getMessage());
        }
    }

    // Only one replica writes PolicyReports: the holder of a Lease in the webhook's namespace.
    private void elect() {
        String identity = Optional.ofNullable(System.getenv("HOSTNAME"))
                .orElse("sourceip-guard-" + ProcessHandle.current().pid());
        election = client.get()
                .leaderElector()
                .withConfig(new LeaderElectionConfigBuilder()
                        .withName(LEASE)
                        .withLock(new LeaseLock(config.cluster().namespace(), LEASE, identity))
                        .withLeaseDuration(Duration.ofSeconds(30))
                        .withRenewDeadline(Duration.ofSeconds(20))
                        .withRetryPeriod(Duration.ofSeconds(5))
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(new LeaderCallbacks(
                                () -> {
                                    leader.set(true);
                                    LOG.infof("%s holds the Lease %s: writing PolicyReports", identity, LEASE);
                                    scheduler.execute(this::scanOnce);
                                },
                                () -> leader.set(false),
                                newLeader -> LOG.debugf("PolicyReports are written by %s", newLeader)))
                        .build())
                .build()
                .start();
    }
}
