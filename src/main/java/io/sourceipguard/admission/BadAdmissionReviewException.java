package io.sourceipguard.admission;

/** A request body the webhook cannot read as an AdmissionReview; the message says what is wrong. */
public final class BadAdmissionReviewException extends Exception {

    public BadAdmissionReviewException(String message) {
        super(message, null, false, false);
    }
}
