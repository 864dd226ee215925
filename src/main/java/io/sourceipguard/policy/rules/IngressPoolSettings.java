package io.sourceipguard.policy.rules;

import java.util.List;
import java.util.Optional;

/**
 * Where ingress controllers must run: the node pool label, the selectors that recognise a
 * controller, and optionally the taint of the pool that they must tolerate.
 */
public record IngressPoolSettings(
        String poolLabelKey, String poolLabelValue, List<WorkloadSelector> selectors, Optional<Toleration> toleration) {

    /** A toleration to add for the ingress pool's taint ({@code operator: Equal}). */
    public record Toleration(String key, String value, String effect) {}

    public IngressPoolSettings {
        selectors = List.copyOf(selectors);
    }
}
