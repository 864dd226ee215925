package io.sourceipguard.admission;

import io.sourceipguard.config.GuardConfig;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Refuses a body whose declared length is over the limit before a byte of it is read, with a
 * JSON answer that names the limit. (A chunked body over the limit is cut off by the HTTP
 * layer's own check, {@code quarkus.http.limits.max-body-size}, with a bare 413.)
 */
@ApplicationScoped
public class BodyLimitFilter {

    void install(@Observes Router router, GuardConfig config) {
        long limit = config.admission().maxBodySize().asLongValue();
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            if (declared != null && tooLong(declared, limit)) {
                ctx.response().setStatusCode(413)
                        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .putHeader(HttpHeaders.CONNECTION, "close")
                        .end("{\"code\":413,\"message\":\"body of " + declared.strip() + " bytes is over the limit of " + limit
                                + " bytes (sourceip-guard.admission.max-body-size); the API server never sends more\"}");
                return;
            }
            ctx.next();
        });
    }

    private static boolean tooLong(String declared, long limit) {
        try {
            return Long.parseLong(declared.strip()) > limit;
        } catch (NumberFormatException e) {
            return false; // the HTTP codec rejects a malformed Content-Length itself
        }
    }
}
