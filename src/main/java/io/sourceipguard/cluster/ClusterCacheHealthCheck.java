package io.sourceipguard.cluster;

import io.sourceipguard.config.GuardConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready until the informer caches have listed the cluster once. Before that a replica answers from the
 * "cannot tell" fallbacks while its synced peers answer from the cluster: the masq rule judges the network as
 * overlay and refuses a complete nonMasqueradeCIDRs list that a peer admits (make e2e-failover saw it when a
 * restarted replica took admissions before its first list). Bounded: after {@code cluster.sync-timeout} it is ready
 * whatever the caches say, and answers with those documented fallbacks. Once ready, always ready, as Gatekeeper's
 * readiness tracker (open-policy-agent/gatekeeper, pkg/readiness/ready_tracker.go, {@code Satisfied}): a watch that
 * drops later, or an API server that slows down, never takes the webhook out of its Service.
 */
@Readiness
@ApplicationScoped
public class ClusterCacheHealthCheck implements HealthCheck {

    static final String NAME = "cluster-caches";

    private final InformerClusterView view;
    private final Gate gate;

    public ClusterCacheHealthCheck(InformerClusterView view, GuardConfig config) {
        this.view = view;
        this.gate = new Gate(config.cluster().syncTimeout());
    }

    @Override
    public HealthCheckResponse call() {
        return gate.check(view.unsynced(), view.sinceWatchStarted());
    }

    /** The decision, apart from the informers: which caches still wait, and for how long they have. */
    static final class Gate {
        private final Duration timeout;
        private volatile boolean passed;

        Gate(Duration timeout) {
            this.timeout = timeout;
        }

        HealthCheckResponse check(List<String> unsynced, Duration waited) {
            passed = passed || unsynced.isEmpty() || waited.compareTo(timeout) >= 0;
            if (unsynced.isEmpty()) {
                return HealthCheckResponse.up(NAME);
            }
            String names = String.join(", ", unsynced);
            return passed
                    ? HealthCheckResponse.named(NAME)
                            .up()
                            .withData("notSynced", names)
                            .build()
                    : HealthCheckResponse.named(NAME)
                            .down()
                            .withData("waitingFor", names)
                            .build();
        }
    }
}
