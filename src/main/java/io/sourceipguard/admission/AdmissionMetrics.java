package io.sourceipguard.admission;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Outcome;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Admission metrics, Prometheus-named: reviews by endpoint, kind, operation, decision and
 * dry-run; rule findings by rule and outcome; a latency histogram. Dry-run requests carry
 * {@code dry_run="true"}, so they never count as real changes. Meters are cached by their tags:
 * the request path does a map lookup, not a registration.
 */
@ApplicationScoped
public class AdmissionMetrics {

    private final MeterRegistry registry;
    private final ConcurrentHashMap<Tags, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public AdmissionMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(String endpoint, AdmissionSubject subject, Decision decision, long nanos) {
        String kind = subject.kind();
        String operation = subject.operation().name();
        String dryRun = Boolean.toString(subject.dryRun());
        String result = !decision.allowed() ? "denied" : decision.patched() ? "patched" : "allowed";
        counter(new Tags(
                        "sourceipguard_admission_reviews",
                        "endpoint",
                        endpoint,
                        "kind",
                        kind,
                        "operation",
                        operation,
                        "decision",
                        result,
                        "dry_run",
                        dryRun))
                .increment();
        for (Finding finding : decision.findings()) {
            if (finding.outcome() != Outcome.SKIP) {
                counter(new Tags(
                                "sourceipguard_rule_findings",
                                "rule",
                                finding.rule(),
                                "kind",
                                kind,
                                "operation",
                                operation,
                                "outcome",
                                finding.outcome().name().toLowerCase(Locale.ROOT),
                                "dry_run",
                                dryRun))
                        .increment();
            }
        }
        timers.computeIfAbsent(
                        endpoint,
                        e -> Timer.builder("sourceipguard_admission_review_duration")
                                .description("Time to answer an AdmissionReview, from decoded body to encoded answer")
                                .tag("endpoint", e)
                                .publishPercentileHistogram()
                                .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A request the webhook could not read (4xx). */
    public void rejected(String endpoint, int status) {
        counter(new Tags("sourceipguard_admission_errors", "endpoint", endpoint, "status", Integer.toString(status)))
                .increment();
    }

    // A meter's name and its tag pairs, as the cache key: equal by content, no string built per request.
    // The array component is deliberate (the varargs of each call, no list built); equals and hashCode compare it
    // by content, which is what Error Prone's ArrayRecordComponent warns is missing by default.
    @SuppressWarnings("ArrayRecordComponent")
    private record Tags(String name, String... pairs) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Tags tags && name.equals(tags.name) && java.util.Arrays.equals(pairs, tags.pairs);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + java.util.Arrays.hashCode(pairs);
        }
    }

    private Counter counter(Tags tags) {
        Counter counter = counters.get(tags);
        return counter != null
                ? counter
                : counters.computeIfAbsent(
                        tags, t -> Counter.builder(t.name()).tags(t.pairs()).register(registry));
    }
}
