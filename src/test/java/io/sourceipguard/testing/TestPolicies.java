package io.sourceipguard.testing;

import io.sourceipguard.config.EngineProducer;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.config.StandaloneConfig;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import io.sourceipguard.policy.rules.PolicySettings;
import java.util.Map;

/** Rules and engines built from the real configuration defaults, without booting Quarkus. */
public final class TestPolicies {

    public static final String POOL_KEY = "kubernetes.azure.com/agentpool";

    private TestPolicies() {}

    public static GuardConfig config(Map<String, String> overrides) {
        return StandaloneConfig.load(overrides);
    }

    public static PolicySettings settings(Map<String, String> overrides) {
        return EngineProducer.settings(config(overrides));
    }

    public static PolicySettings defaults() {
        return settings(Map.of());
    }

    public static PolicyEngine engine(Map<String, String> overrides) {
        return EngineProducer.build(config(overrides));
    }

    public static io.sourceipguard.policy.cidr.Cidr cidr(String text) {
        try {
            return Cidrs.parse(text);
        } catch (InvalidCidrException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }
}
