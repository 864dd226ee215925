package io.sourceipguard.config;

import io.quarkus.runtime.Startup;
import io.sourceipguard.policy.ExemptionSettings;
import io.sourceipguard.policy.Mode;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.RuleModes;
import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import io.sourceipguard.policy.rules.IngressPoolSettings;
import io.sourceipguard.policy.rules.MasqSettings;
import io.sourceipguard.policy.rules.PodNetwork;
import io.sourceipguard.policy.rules.PolicySettings;
import io.sourceipguard.policy.rules.RuleSet;
import io.sourceipguard.policy.rules.WorkloadSelector;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the framework-free policy engine from configuration, at startup, so that a bad value
 * (a CIDR, a selector, a mode) stops the boot with a message instead of failing a request.
 */
public class EngineProducer {

    @Produces
    @Singleton
    @Startup
    PolicyEngine engine(GuardConfig config) {
        return build(config);
    }

    /** The engine for a configuration; public for the commands and tests that boot no container. */
    public static PolicyEngine build(GuardConfig config) {
        return new PolicyEngine(RuleSet.all(settings(config)), modes(config), exemptions(config), Clock.systemUTC());
    }

    /** Who grants exemptions and which identities bypass the rules; public for the policies command. */
    public static ExemptionSettings exemptions(GuardConfig config) {
        GuardConfig.Exemptions exemptions = config.exemptions();
        return new ExemptionSettings(
                new HashSet<>(exemptions.adminUsers().orElse(List.of())),
                new HashSet<>(exemptions.adminGroups()),
                new HashSet<>(exemptions.systemUsers().orElse(List.of())));
    }

    /** The rule settings for a configuration; public for the report command, which boots no container. */
    public static PolicySettings settings(GuardConfig config) {
        GuardConfig.IngressRule ingress = config.rules().ingressNodePool();
        List<WorkloadSelector> selectors = new ArrayList<>();
        for (String selector : ingress.selectors()) {
            try {
                selectors.add(WorkloadSelector.parse(selector));
            } catch (IllegalArgumentException e) {
                throw invalid("rules.ingress-node-pool.selectors", e.getMessage());
            }
        }
        Optional<IngressPoolSettings.Toleration> toleration = ingress.toleration()
                .key()
                .map(key -> new IngressPoolSettings.Toleration(
                        key,
                        ingress.toleration().value().orElse(""),
                        ingress.toleration().effect()));
        IngressPoolSettings pool =
                new IngressPoolSettings(ingress.poolLabelKey(), ingress.poolLabelValue(), selectors, toleration);

        GuardConfig.MasqRule masq = config.rules().masqueradeConfig();
        if (masq.cidrLimit() <= 0) {
            throw invalid("rules.masquerade-config.cidr-limit", "must be a positive number, not " + masq.cidrLimit());
        }
        PodNetwork network = null;
        if (!"auto".equals(masq.podNetwork())) {
            network = PodNetwork.parse(masq.podNetwork());
            if (network == null) {
                throw invalid(
                        "rules.masquerade-config.pod-network",
                        "'" + masq.podNetwork() + "' is not a pod network; use auto, routable, overlay or pod-subnet");
            }
        }
        MasqSettings masqSettings = new MasqSettings(
                masq.namespace(),
                new HashSet<>(masq.names()),
                masq.keyPrefixes(),
                new HashSet<>(masq.keyNames()),
                cidrs("protected-cidrs", masq.protectedCidrs()),
                masq.cidrLimit(),
                masq.ipv6Enabled(),
                network,
                cidrs("cluster-cidrs", masq.clusterCidrs().orElse(List.of())),
                cidrs("must-masquerade-cidrs", masq.mustMasqueradeCidrs()),
                new HashSet<>(masq.platformNames()));
        return new PolicySettings(
                config.rules().serviceExternalTrafficPolicy().includeNodePort(),
                pool,
                masqSettings,
                config.rules().gatewayConfig().istioNamespaces());
    }

    private static List<Cidr> cidrs(String key, List<String> texts) {
        List<Cidr> cidrs = new ArrayList<>();
        for (String cidr : texts) {
            try {
                cidrs.add(Cidrs.parse(cidr));
            } catch (InvalidCidrException e) {
                throw invalid("rules.masquerade-config." + key, e.getMessage());
            }
        }
        return cidrs;
    }

    /** The configured modes: the global one and the per-rule overrides. */
    public static RuleModes modes(GuardConfig config) {
        Mode global = mode("mode", config.mode());
        Map<String, Mode> overrides = new HashMap<>();
        Map<String, GuardConfig.RuleGroup> groups = config.rules().byId();
        for (String rule : RuleSet.ids()) {
            GuardConfig.RuleGroup group = groups.get(rule);
            if (group == null) {
                throw new IllegalStateException("rule " + rule + " has no group in GuardConfig.Rules.byId");
            }
            group.mode().ifPresent(v -> overrides.put(rule, mode("rules." + rule + ".mode", v)));
        }
        return new RuleModes(global, overrides);
    }

    private static Mode mode(String key, String value) {
        Mode mode = Mode.parse(value);
        if (mode == null) {
            throw invalid(key, "'" + value + "' is not a mode; use enforce, audit or off");
        }
        return mode;
    }

    private static IllegalArgumentException invalid(String key, String problem) {
        return new IllegalArgumentException("invalid configuration sourceip-guard." + key + ": " + problem);
    }
}
