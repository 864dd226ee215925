package io.sourceipguard.report;

/** Input the report cannot read; the message names the file, the line and the problem. */
public final class InputException extends Exception {

    public InputException(String message) {
        super(message, null, false, false);
    }
}
