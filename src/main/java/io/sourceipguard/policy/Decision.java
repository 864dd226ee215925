package io.sourceipguard.policy;

import java.util.List;
import java.util.Map;

/**
 * The engine's verdict on one subject: allowed or denied (with the message people read),
 * the JSON Patch to apply, warnings (one per finding that has something to say), audit
 * annotations, and every rule's finding for reports.
 */
public record Decision(
        boolean allowed,
        String message,
        List<PatchOperation> patch,
        List<String> warnings,
        Map<String, String> auditAnnotations,
        List<Finding> findings) {

    public Decision {
        patch = List.copyOf(patch);
        warnings = List.copyOf(warnings);
        auditAnnotations = Map.copyOf(auditAnnotations);
        findings = List.copyOf(findings);
    }

    /** True when the object would be changed. */
    public boolean patched() {
        return allowed && !patch.isEmpty();
    }
}
