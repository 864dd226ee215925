package io.sourceipguard.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The same targets as {@link FuzzTargetsTest}, for the long run ({@code make fuzz-long}): ten
 * million executions each, or an hour. Without JAZZER_FUZZ they replay the seeds like the others.
 */
class LongFuzzTargetsTest {

    private final FuzzTargetsTest targets = new FuzzTargetsTest();

    @FuzzTest(maxExecutions = 10_000_000, maxDuration = "1h")
    void admissionReview(byte[] body) throws Exception {
        targets.admissionReview(body);
    }

    @FuzzTest(maxExecutions = 10_000_000, maxDuration = "1h")
    void admissionObject(FuzzedDataProvider data) throws Exception {
        targets.admissionObject(data);
    }

    @FuzzTest(maxExecutions = 10_000_000, maxDuration = "1h")
    void masqConfig(byte[] file) {
        targets.masqConfig(file);
    }

    @FuzzTest(maxExecutions = 10_000_000, maxDuration = "1h")
    void cidrCoverage(FuzzedDataProvider data) {
        targets.cidrCoverage(data);
    }
}
