package io.sourceipguard.admission;

import io.sourceipguard.config.GuardConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a body whose declared length is over the largest review the webhook receives
 * (max-review-size) before a byte of it is read, with a JSON answer that names the limit. (A chunked body over the limit is cut off as it arrives, by
 * {@link AdmissionRoutes} on the admission paths and by {@code quarkus.http.limits.max-body-size}
 * elsewhere.)
 */
@ApplicationScoped
public class BodyLimitFilter {

    void install(@Observes Router router, GuardConfig config) {
        long limit = Math.max(
                config.admission().maxBodySize().asLongValue(),
                config.admission().maxReviewSize().asLongValue());
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            if (declared != null && tooLong(declared, limit)) {
                ctx.response()
                        .setStatusCode(413)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        .end("{\"code\":413,\"message\":\"" + overLimit("body of " + declared.strip() + " bytes", limit)
                                + "\"}");
                return;
            }
            ctx.next();
        });
    }

    /** The 413 message: what was over which limit, and that the API server never sends that much. */
    static String overLimit(String what, long limit) {
        return what + " is over the limit of " + limit
                + " bytes (sourceip-guard.admission.max-review-size); the API server never sends more";
    }

    private static boolean tooLong(String declared, long limit) {
        try {
            return Long.parseLong(declared.strip()) > limit;
        } catch (NumberFormatException e) {
            return false; // the HTTP codec rejects a malformed Content-Length itself
        }
    }
}
