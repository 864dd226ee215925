package io.sourceipguard.policy;

/** What one rule concluded about one object. */
public enum Outcome {
    /** The rule applies and the object already complies. */
    PASS,
    /** The rule applies and would change the object (the finding carries the patch). */
    MUTATE,
    /** The rule applies and the object must not be admitted (the finding carries the reason). */
    DENY,
    /**
     * The rule applies and finds a problem, but admits the object unchanged because acting on it
     * could break the cluster (the pool does not exist, the platform wrote it, the cluster cannot
     * be read): the finding says why, and how to fix it.
     */
    WARN,
    /** The rule applies but an exemption granted by a cluster admin skips it. */
    EXEMPT,
    /** The rule is off, or does not look at this kind or operation. */
    SKIP
}
