package io.sourceipguard.policy.rules;

import io.sourceipguard.policy.Rule;
import java.util.List;

/** The one list of rules; every door evaluates exactly these, in this order. */
public final class RuleSet {

    private RuleSet() {
    }

    public static List<Rule> all(PolicySettings settings) {
        return List.of(
                new ServiceExternalTrafficPolicyRule(settings.serviceIncludeNodePort()),
                new IngressNodePoolRule(settings.ingressPool()),
                new GatewayConfigRule(settings.ingressPool()),
                new MasqueradeConfigRule(settings.masq()),
                new AllowListSourceIpRule());
    }

    /** The rule ids, for validating configuration and exemption labels. */
    public static List<String> ids() {
        return List.of(ServiceExternalTrafficPolicyRule.ID, IngressNodePoolRule.ID, GatewayConfigRule.ID, MasqueradeConfigRule.ID,
                AllowListSourceIpRule.ID);
    }
}
