package io.sourceipguard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

class ClusterCacheHealthCheckTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    // A replica that answers before its first list judges from fallbacks its synced peers do not use.
    @Test
    void notReadyWhileACacheHasNotListedTheClusterYet() {
        ClusterCacheHealthCheck.Gate gate = new ClusterCacheHealthCheck.Gate(TIMEOUT);
        HealthCheckResponse response = gate.check(List.of("Nodes", "Services"), Duration.ofSeconds(2));
        assertEquals(HealthCheckResponse.Status.DOWN, response.getStatus());
        assertEquals(Map.of("waitingFor", "Nodes, Services"), response.getData().orElseThrow());
    }

    @Test
    void readyOnceEveryCacheHasListed() {
        ClusterCacheHealthCheck.Gate gate = new ClusterCacheHealthCheck.Gate(TIMEOUT);
        HealthCheckResponse response = gate.check(List.of(), Duration.ofMillis(50));
        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        assertEquals(Map.of(), response.getData().orElse(Map.of()));
    }

    // Bounded: an API server that never answers delays readiness by the timeout, then the fallbacks answer.
    @Test
    void readyAfterTheTimeoutWithTheCachesStillWaiting() {
        ClusterCacheHealthCheck.Gate gate = new ClusterCacheHealthCheck.Gate(TIMEOUT);
        HealthCheckResponse response = gate.check(List.of("Nodes"), TIMEOUT);
        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        assertEquals("Nodes", response.getData().orElseThrow().get("notSynced"));
    }

    // Once ready, ready: a watch that later drops never takes the webhook out of its Service.
    @Test
    void onceReadyStaysReady() {
        ClusterCacheHealthCheck.Gate gate = new ClusterCacheHealthCheck.Gate(TIMEOUT);
        gate.check(List.of(), Duration.ofMillis(50));
        HealthCheckResponse response = gate.check(List.of("Nodes"), Duration.ofSeconds(1));
        assertEquals(HealthCheckResponse.Status.UP, response.getStatus());
        assertEquals("Nodes", response.getData().orElseThrow().get("notSynced"));
    }
}
