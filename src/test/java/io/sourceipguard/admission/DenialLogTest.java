package io.sourceipguard.admission;

import static io.sourceipguard.testing.Fixtures.createSubject;
import static io.sourceipguard.testing.Fixtures.manifest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.Rule;
import io.sourceipguard.testing.TestPolicies;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DenialLogTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private static Decision judge(AdmissionSubject subject) {
        Decision decision =
                TestPolicies.engine(Map.of()).evaluate(subject, ClusterView.UNAVAILABLE, Rule.Phase.VALIDATING);
        assertFalse(decision.allowed());
        return decision;
    }

    @Test
    void aRepeatedDenialIsLoggedOncePerWindowThenWithItsCount() {
        DenialLog log = new DenialLog(Duration.ofSeconds(60), now::get);
        AdmissionSubject config = createSubject(manifest("aks-azure-ip-masq-agent-config.yaml"));
        Decision denied = judge(config);

        assertEquals(
                "denied CREATE ConfigMap kube-system/azure-ip-masq-agent-config: [masquerade-config]",
                log.denied(config, denied));
        now.addAndGet(Duration.ofSeconds(59).toNanos());
        assertNull(log.denied(config, denied));
        assertNull(log.denied(config, denied));
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(
                "denied CREATE ConfigMap kube-system/azure-ip-masq-agent-config: [masquerade-config]"
                        + " (and 2 more times since the last line)",
                log.denied(config, denied));
    }

    @Test
    void distinctObjectsAreLoggedApart() {
        DenialLog log = new DenialLog(Duration.ofSeconds(60), now::get);
        ObjectNode other = manifest("aks-azure-ip-masq-agent-config.yaml");
        other.with("metadata").put("name", "ip-masq-agent-config");
        AdmissionSubject first = createSubject(manifest("aks-azure-ip-masq-agent-config.yaml"));
        AdmissionSubject second = createSubject(other);
        Map<String, String> overrides = Map.of(
                "sourceip-guard.rules.masquerade-config.names", "azure-ip-masq-agent-config,ip-masq-agent-config");
        Decision secondDenied =
                TestPolicies.engine(overrides).evaluate(second, ClusterView.UNAVAILABLE, Rule.Phase.VALIDATING);
        assertEquals(
                "denied CREATE ConfigMap kube-system/azure-ip-masq-agent-config: [masquerade-config]",
                log.denied(first, judge(first)));
        assertEquals(
                "denied CREATE ConfigMap kube-system/ip-masq-agent-config: [masquerade-config]",
                log.denied(second, secondDenied));
    }

    @Test
    void aZeroWindowLogsEveryDenial() {
        DenialLog log = new DenialLog(Duration.ZERO, now::get);
        AdmissionSubject config = createSubject(manifest("aks-azure-ip-masq-agent-config.yaml"));
        Decision denied = judge(config);
        for (int i = 0; i < 3; i++) {
            assertEquals(
                    "denied CREATE ConfigMap kube-system/azure-ip-masq-agent-config: [masquerade-config]",
                    log.denied(config, denied));
        }
    }
}
