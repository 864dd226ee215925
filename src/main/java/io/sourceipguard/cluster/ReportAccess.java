package io.sourceipguard.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Who may read {@code GET /report}: delegated authentication and authorization, as metrics-server
 * and kube-rbac-proxy do. The bearer token is checked with a TokenReview, its user with a
 * SubjectAccessReview for the non-resource URL {@code /report}, verb {@code get}. Verdicts are
 * kept briefly per token hash (bounded), so a scraper does not cost two API calls per request;
 * an API failure is never kept. The token itself is neither kept nor logged.
 */
public final class ReportAccess {

    private static final Logger LOG = Logger.getLogger(ReportAccess.class);
    public static final String PATH = "/report";
    public static final String VERB = "get";
    public static final String READER_ROLE = "sourceip-guard-report-reader";

    /** What the caller gets: 200, 401, 403, or 503 when the API cannot review the token. */
    public enum Outcome {
        ALLOWED,
        UNAUTHENTICATED,
        FORBIDDEN,
        UNAVAILABLE
    }

    public record Verdict(Outcome outcome, String message) {}

    /** An authenticated user, as the TokenReview names it and the SubjectAccessReview needs it. */
    public record User(String name, String uid, List<String> groups, Map<String, List<String>> extra) {}

    /** The two reviews, one API call each. */
    public interface Reviewer {
        /** The user the token authenticates, or empty when the API server does not authenticate it. */
        Optional<User> authenticate(String token);

        /** Whether the user may use {@code verb} on the non-resource URL {@code path}. */
        boolean allowed(User user, String path, String verb);
    }

    private record Kept(Verdict verdict, long until) {}

    private final Reviewer reviewer;
    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoTime;
    // Insertion order with one TTL for all is expiry order: the eldest entry is the first to go.
    private final LinkedHashMap<String, Kept> cache = new LinkedHashMap<>();

    public ReportAccess(Reviewer reviewer, Duration ttl, int maxEntries, LongSupplier nanoTime) {
        this.reviewer = reviewer;
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoTime = nanoTime;
    }

    /** The verdict for an {@code Authorization} header value (null when absent). */
    public Verdict check(String authorization) {
        String token = bearer(authorization);
        if (token == null) {
            return new Verdict(
                    Outcome.UNAUTHENTICATED,
                    "GET " + PATH + " needs a bearer token (Authorization: Bearer ...)"
                            + " of a user or ServiceAccount allowed to get the non-resource URL " + PATH
                            + ", e.g. bound to the ClusterRole " + READER_ROLE);
        }
        String key = sha256(token);
        long now = nanoTime.getAsLong();
        synchronized (cache) {
            Kept kept = cache.get(key);
            if (kept != null && now - kept.until() < 0) {
                return kept.verdict();
            }
        }
        Verdict verdict = review(token);
        if (verdict.outcome() != Outcome.UNAVAILABLE && ttlNanos > 0) {
            synchronized (cache) {
                cache.remove(key);
                cache.put(key, new Kept(verdict, now + ttlNanos));
                while (cache.size() > maxEntries) {
                    cache.remove(cache.keySet().iterator().next());
                }
            }
        }
        return verdict;
    }

    private Verdict review(String token) {
        try {
            Optional<User> user = reviewer.authenticate(token);
            if (user.isEmpty()) {
                return new Verdict(
                        Outcome.UNAUTHENTICATED,
                        "the bearer token was not authenticated by the Kubernetes API"
                                + " (TokenReview): use a current token of a user or ServiceAccount");
            }
            if (!reviewer.allowed(user.get(), PATH, VERB)) {
                return new Verdict(
                        Outcome.FORBIDDEN,
                        "user " + user.get().name() + " may not get the non-resource URL " + PATH
                                + "; grant it with: kubectl create clusterrolebinding NAME --clusterrole=" + READER_ROLE
                                + " --serviceaccount=NAMESPACE:NAME (or --user, --group)");
            }
            return new Verdict(Outcome.ALLOWED, "");
        } catch (RuntimeException e) {
            // Neither the token nor the request body is in the message: only the API's answer.
            LOG.warnf("cannot review a token for GET %s: %s", PATH, e.getMessage());
            return new Verdict(
                    Outcome.UNAVAILABLE, "the Kubernetes API could not review the bearer token; try again shortly");
        }
    }

    /** Cached verdicts, for tests and metrics. */
    int cached() {
        synchronized (cache) {
            return cache.size();
        }
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        if (value.length() <= 7
                || !value.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String token = value.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always there", e);
        }
    }
}
