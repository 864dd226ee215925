package io.sourceipguard.bench;

import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.testing.CidrOracle;
import io.sourceipguard.testing.TestPolicies;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Coverage of 0.0.0.0/0 by N random blocks (/8 to /28, seeded), the masq rule's set maths. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx256m", "-XX:+UseSerialGC"})
public class CidrCoverageBenchmark {

    @Param({"64", "10000"})
    public int cidrs;

    private List<Cidr> cover;
    private final List<Cidr> everything = List.of(TestPolicies.cidr("0.0.0.0/0"));

    @Setup
    public void setup() {
        Random random = new Random(42);
        cover = new ArrayList<>(cidrs);
        for (int i = 0; i < cidrs; i++) {
            cover.add(CidrOracle.cidr(CidrOracle.ipv4Block(random.nextInt(), 8 + random.nextInt(21))));
        }
    }

    @Benchmark
    public List<Cidr> uncovered() {
        return Cidrs.uncovered(everything, cover);
    }
}
