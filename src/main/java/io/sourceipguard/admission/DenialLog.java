package io.sourceipguard.admission;

import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.Decision;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Logs denials, each distinct one once per window and then with the number of repeats: a
 * controller that retries a denied apply every second would otherwise write a line per retry,
 * and the line (JSON formatting, a write to stdout) cost a quarter of the CPU of a denial.
 * Only the object's identity and the rule ids are logged, never its content.
 */
final class DenialLog {

    private static final Logger LOG = Logger.getLogger(DenialLog.class);
    // Distinct denials remembered at most; beyond it the memory is cleared (and each logs again).
    private static final int REMEMBERED = 10_000;

    // When the line was logged, and the denials since: a repeat within the window only counts, without the map's
    // lock, since both event loops see the same denial when a controller retries it (a repeat counted just as
    // the window closes may be left out of the next line's count).
    private record Seen(long loggedAt, LongAdder repeats) {}

    private final long windowNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();

    DenialLog(Duration window, LongSupplier nanoClock) {
        this.windowNanos = window.toNanos();
        this.clock = nanoClock;
    }

    /** Logs the denial unless the same one was logged within the window; returns the line when logged. */
    String denied(AdmissionSubject subject, Decision decision) {
        String what = subject.operation() + " " + subject.kind() + " " + subject.displayName() + ": "
                + decision.auditAnnotations().keySet();
        if (windowNanos <= 0) {
            return log("denied " + what);
        }
        long now = clock.getAsLong();
        Seen last = seen.get(what);
        if (last != null && now - last.loggedAt < windowNanos) {
            last.repeats.increment();
            return null;
        }
        long[] repeated = {-1};
        seen.compute(what, (key, before) -> {
            if (before != null && now - before.loggedAt < windowNanos) {
                before.repeats.increment(); // another thread logged it first
                return before;
            }
            repeated[0] = before == null ? 0 : before.repeats.sum();
            return new Seen(now, new LongAdder());
        });
        if (repeated[0] < 0) {
            return null;
        }
        if (seen.size() > REMEMBERED) {
            seen.clear();
        }
        return log("denied " + what
                + (repeated[0] > 0 ? " (and " + repeated[0] + " more times since the last line)" : ""));
    }

    private static String log(String line) {
        LOG.info(line);
        return line;
    }
}
