package io.sourceipguard.policy.cidr;

/** A CIDR that the ip-masq-agent would refuse; the message says what is wrong and how to fix it. */
public final class InvalidCidrException extends Exception {

    public InvalidCidrException(String message) {
        super(message, null, false, false);
    }
}
