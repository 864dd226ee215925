package io.sourceipguard.policy;

import java.util.Locale;

/** How a rule's finding is applied: enforced, only reported, or not evaluated at all. */
public enum Mode {
    ENFORCE,
    AUDIT,
    OFF;

    /** Parses {@code enforce|audit|off} in any case; null when the value is none of them. */
    public static Mode parse(String value) {
        if (value == null) {
            return null;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
