package io.sourceipguard.policy;

import java.util.Map;

/** The configured mode of each rule: a global default with per-rule overrides. */
public record RuleModes(Mode defaultMode, Map<String, Mode> overrides) {

    public RuleModes {
        overrides = Map.copyOf(overrides);
    }

    public Mode of(String ruleId) {
        return overrides.getOrDefault(ruleId, defaultMode);
    }
}
