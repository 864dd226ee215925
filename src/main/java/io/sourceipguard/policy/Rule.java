package io.sourceipguard.policy;

/**
 * One policy rule. A rule looks at one subject and returns one finding; it never builds an
 * HTTP answer, and modes and exemptions are applied around it by the {@link PolicyEngine}.
 */
public interface Rule {

    /** Whether the rule changes objects (served on /mutate) or only judges them (/validate). */
    enum Phase {
        MUTATING,
        VALIDATING
    }

    /** The stable id used in messages, configuration, labels and reports. */
    String id();

    Phase phase();

    /** Whether this rule looks at this kind and operation at all. */
    boolean appliesTo(AdmissionSubject subject);

    /** Judges an applicable subject; must not throw on any input the API server could send. */
    Finding evaluate(AdmissionSubject subject, ClusterView cluster);
}
