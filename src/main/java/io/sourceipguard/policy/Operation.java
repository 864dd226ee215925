package io.sourceipguard.policy;

/** The admission operations of the Kubernetes API server. */
public enum Operation {
    CREATE,
    UPDATE,
    DELETE,
    CONNECT;

    /** Parses the API server's spelling; null when the value is not one of the four. */
    public static Operation parse(String value) {
        for (Operation op : values()) {
            if (op.name().equals(value)) {
                return op;
            }
        }
        return null;
    }
}
