package io.sourceipguard.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sourceipguard.cluster.ReportAccess.Outcome;
import io.sourceipguard.cluster.ReportAccess.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The decision and its cache, against a fake reviewer that counts the API calls it would make. */
class ReportAccessTest {

    private static final User READER = new User(
            "system:serviceaccount:mon:scraper",
            "u-1",
            List.of("system:serviceaccounts", "system:serviceaccounts:mon"),
            Map.of());

    /** Tokens "reader" and "nobody" authenticate; only "reader" is allowed; "broken" makes the API fail. */
    private static final class FakeApi implements ReportAccess.Reviewer {
        final List<String> calls = new ArrayList<>();

        @Override
        public Optional<User> authenticate(String token) {
            calls.add("TokenReview");
            if (token.equals("broken")) {
                throw new IllegalStateException("connection refused");
            }
            return switch (token) {
                case "reader" -> Optional.of(READER);
                case "nobody" -> Optional.of(new User("nobody", "", List.of("system:authenticated"), Map.of()));
                default -> Optional.empty();
            };
        }

        @Override
        public boolean allowed(User user, String path, String verb) {
            calls.add("SubjectAccessReview " + verb + " " + path);
            return user.equals(READER);
        }
    }

    private final FakeApi api = new FakeApi();
    private long now = 1_000;
    private final ReportAccess access = new ReportAccess(api, Duration.ofSeconds(10), 3, () -> now);

    @Test
    void noBearerTokenIsUnauthenticatedWithoutAskingTheApi() {
        for (String header : new String[] {null, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "reader"}) {
            ReportAccess.Verdict verdict = access.check(header);
            assertEquals(Outcome.UNAUTHENTICATED, verdict.outcome(), "header " + header);
            assertTrue(verdict.message().contains("sourceip-guard-report-reader"), verdict.message());
        }
        assertEquals(List.of(), api.calls);
    }

    @Test
    void eachOutcomeFromTheReviews() {
        assertEquals(Outcome.ALLOWED, access.check("Bearer reader").outcome());
        assertEquals(Outcome.ALLOWED, access.check("bearer  reader ").outcome(), "the scheme is case-insensitive");
        ReportAccess.Verdict forbidden = access.check("Bearer nobody");
        assertEquals(Outcome.FORBIDDEN, forbidden.outcome());
        assertTrue(
                forbidden.message().contains("user nobody may not get the non-resource URL /report"),
                forbidden.message());
        assertTrue(forbidden.message().contains("--clusterrole=sourceip-guard-report-reader"), forbidden.message());
        assertEquals(Outcome.UNAUTHENTICATED, access.check("Bearer forged").outcome());
        assertEquals(Outcome.UNAVAILABLE, access.check("Bearer broken").outcome());
    }

    @Test
    void theAuthorizationAsksForGetOnTheNonResourceUrl() {
        access.check("Bearer reader");
        assertEquals(List.of("TokenReview", "SubjectAccessReview get /report"), api.calls);
    }

    @Test
    void verdictsAreKeptPerTokenUntilTheyExpire() {
        access.check("Bearer reader");
        access.check("Bearer nobody");
        access.check("Bearer forged");
        int calls = api.calls.size();
        now += Duration.ofSeconds(9).toNanos();
        assertEquals(Outcome.ALLOWED, access.check("Bearer reader").outcome());
        assertEquals(Outcome.FORBIDDEN, access.check("Bearer nobody").outcome());
        assertEquals(Outcome.UNAUTHENTICATED, access.check("Bearer forged").outcome());
        assertEquals(calls, api.calls.size(), "no API call within the TTL");
        now += Duration.ofSeconds(2).toNanos();
        access.check("Bearer reader");
        assertEquals(calls + 2, api.calls.size(), "both reviews again after the TTL");
    }

    @Test
    void anApiFailureIsNeverKept() {
        access.check("Bearer broken");
        access.check("Bearer broken");
        assertEquals(List.of("TokenReview", "TokenReview"), api.calls);
        assertEquals(0, access.cached());
    }

    @Test
    void theCacheIsBoundedAndDropsTheOldestFirst() {
        for (int i = 0; i < 10; i++) {
            access.check("Bearer forged-" + i);
        }
        assertEquals(3, access.cached());
        api.calls.clear();
        access.check("Bearer forged-9");
        assertEquals(List.of(), api.calls, "the newest is kept");
        access.check("Bearer forged-0");
        assertEquals(List.of("TokenReview"), api.calls, "the oldest is gone");
    }
}
