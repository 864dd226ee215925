package io.sourceipguard.policy;

/** Every label and annotation key sourceip-guard reads or writes, written once. */
public final class Keys {

    public static final String DOMAIN = "sourceip-guard.io/";

    /** On an object or a Namespace: {@code all}, or rule ids, that are skipped. Granted by cluster admins only. */
    public static final String EXEMPT = DOMAIN + "exempt";

    /** On a Namespace: {@code enforce}, {@code audit}, or {@code audit.<rule>.<rule>}. Anything but enforce is an admin's act. */
    public static final String MODE = DOMAIN + "mode";

    /** Stamped by the webhook on a grant: the admin's username. */
    public static final String EXEMPTED_BY = DOMAIN + "exempted-by";

    /** Stamped by the webhook on a grant: when (RFC 3339). */
    public static final String EXEMPTED_AT = DOMAIN + "exempted-at";

    /** On a workload: marks it as an ingress controller. */
    public static final String INGRESS_CONTROLLER = DOMAIN + "ingress-controller";

    private Keys() {}
}
