package io.sourceipguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sourceipguard.admission.AdmissionRequestDecoder;
import io.sourceipguard.admission.AdmissionResponses;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.Decision;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.policy.Rule;
import io.sourceipguard.testing.Fixtures;
import io.sourceipguard.testing.Reviews;
import io.sourceipguard.testing.TestPolicies;
import java.util.Map;
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

/** The admission hot path, step by step, on real manifests: decode, evaluate, encode, and all three. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx256m", "-XX:+UseSerialGC"})
public class AdmissionPathBenchmark {

    @Param({
        "traefik-service.yaml",
        "ingress-nginx-controller-deployment.yaml",
        "aks-azure-ip-masq-agent-config.yaml",
        "web-deployment.yaml",
        "body:masq-denied",
        "body:masq-allowed",
        "body:service-mutate",
        "body:ingress-mutate",
        "body:web-unhandled"
    })
    public String fixture;

    private final ObjectMapper json = new ObjectMapper();
    private AdmissionRequestDecoder decoder;
    private AdmissionResponses responses;
    private PolicyEngine engine;
    private byte[] body;
    private AdmissionRequestDecoder.Decoded decoded;
    private Decision decision;
    private Rule.Phase phase;

    @Setup
    public void setup() throws Exception {
        decoder = new AdmissionRequestDecoder(json);
        responses = new AdmissionResponses(json);
        engine = TestPolicies.engine(Map.of());
        // "body:NAME": the load benchmark's own AdmissionReview, bench/bodies/NAME.json, byte for byte
        body = fixture.startsWith("body:")
                ? java.nio.file.Files.readAllBytes(
                        java.nio.file.Path.of("bench/bodies", fixture.substring(5) + ".json"))
                : json.writeValueAsBytes(Reviews.create(Fixtures.manifest(fixture)));
        decoded = decoder.decode(body);
        phase = fixture.contains("masq") ? Rule.Phase.VALIDATING : Rule.Phase.MUTATING;
        decision = engine.evaluate(decoded.subject(), ClusterView.UNAVAILABLE, phase);
    }

    @Benchmark
    public AdmissionRequestDecoder.Decoded decode() throws Exception {
        return decoder.decode(body);
    }

    @Benchmark
    public Decision evaluate() {
        return engine.evaluate(decoded.subject(), ClusterView.UNAVAILABLE, phase);
    }

    @Benchmark
    public byte[] encode() throws Exception {
        return responses.encode(decoded.uid(), decision);
    }

    @Benchmark
    public byte[] all() throws Exception {
        AdmissionRequestDecoder.Decoded request = decoder.decode(body);
        Decision d = engine.evaluate(request.subject(), ClusterView.UNAVAILABLE, phase);
        return responses.encode(request.uid(), d);
    }
}
