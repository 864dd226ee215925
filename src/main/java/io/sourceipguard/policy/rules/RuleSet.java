package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.Rule;
import java.util.List;
import java.util.function.Function;

/**
 * The one table of rules: every door evaluates exactly these, in this order. A new rule is its
 * class, its configuration group (GuardConfig.Rules, by the same id) and one line here.
 */
public final class RuleSet {

    /** A rule's id and how it is built from the settings. */
    private record Entry(String id, Function<PolicySettings, Rule> build) {}

    private static final List<Entry> TABLE = List.of(
            new Entry(
                    ServiceExternalTrafficPolicyRule.ID,
                    s -> new ServiceExternalTrafficPolicyRule(s.serviceIncludeNodePort())),
            new Entry(IngressNodePoolRule.ID, s -> new IngressNodePoolRule(s.ingressPool())),
            new Entry(GatewayConfigRule.ID, s -> new GatewayConfigRule(s.ingressPool(), s.istioNamespaces())),
            new Entry(MasqueradeConfigRule.ID, s -> new MasqueradeConfigRule(s.masq())),
            new Entry(AllowListSourceIpRule.ID, s -> new AllowListSourceIpRule()));

    private RuleSet() {}

    public static List<Rule> all(PolicySettings settings) {
        return TABLE.stream().map(e -> e.build().apply(settings)).toList();
    }

    /** The rule ids, for configuration, exemption labels and the admission policies. */
    public static List<String> ids() {
        return TABLE.stream().map(Entry::id).toList();
    }
}
