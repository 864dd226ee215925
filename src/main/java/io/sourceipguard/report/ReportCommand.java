package io.sourceipguard.report;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sourceipguard.config.EngineProducer;
import io.sourceipguard.config.GuardConfig;
import io.sourceipguard.config.StandaloneConfig;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.PolicyEngine;
import io.sourceipguard.report.format.NsgFormat;
import io.sourceipguard.report.format.ReportFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code report}: what the policies would change, before anyone enforces them. The same engine,
 * rules, modes and exemptions as the webhook; no server is started and no port is opened.
 * Exit code 0: nothing would change; 1: something would be mutated or denied; 2: bad usage or input.
 */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Report what sourceip-guard would mutate or deny, for manifests or a live cluster.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:nothing would be mutated or denied",
            "1:something would be mutated or denied",
            "2:usage or input error"
        })
public final class ReportCommand implements Callable<Integer> {

    public static final int CHANGES = 1;
    public static final int INPUT_ERROR = 2;

    @Option(
            names = {"-f", "--filename"},
            paramLabel = "PATH",
            description =
                    "A manifest file, a directory (read recursively: .yaml, .yml, .json) or - for standard input. Repeatable.")
    List<String> files = new ArrayList<>();

    @Option(
            names = "--cluster",
            description = "Read the objects from the cluster of the current kubeconfig context (or in-cluster config).")
    boolean cluster;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "table",
            paramLabel = "FORMAT",
            description = "table (default), json, markdown, policyreport, or nsg (the NSG rules each node subnet needs"
                    + " for the LoadBalancer Services, from Services, Nodes and EndpointSlices; exit code 0).")
    String output;

    @Option(
            names = "--write-fixed",
            paramLabel = "FILE",
            description = "Also write every object the report would change, corrected (mutations applied, denials'"
                    + " complete fixes applied), as YAML for kubectl apply -f FILE; - for standard output.")
    String fixedFile;

    @Option(
            names = {"-c", "--config"},
            paramLabel = "KEY=VALUE",
            description = "Override a configuration key for this report, e.g. sourceip-guard.mode=audit. Repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    public ReportCommand() {
        this(System.in, System.out, System.err);
    }

    /** For tests: the streams to read manifests from and to write the report and errors to. */
    public ReportCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        boolean nsg = "nsg".equals(output);
        ReportFormat format = ReportFormat.named(output);
        if (format == null && !nsg) {
            return fail("unknown output format '" + output + "'; use table, json, markdown, policyreport or nsg");
        }
        if (files.isEmpty() && !cluster) {
            return fail("nothing to report on: give -f FILE|DIR|- and/or --cluster (see --help)");
        }
        GuardConfig config;
        PolicyEngine engine;
        try {
            config = StandaloneConfig.load(overrides);
            engine = EngineProducer.build(config);
        } catch (RuntimeException e) {
            return fail(e.getMessage());
        }
        List<Manifest> manifests = new ArrayList<>();
        try {
            manifests.addAll(ManifestReader.read(files, in));
        } catch (InputException e) {
            return fail(e.getMessage());
        }
        if (cluster) {
            try (KubernetesClient client = new KubernetesClientBuilder().build()) {
                manifests.addAll(ClusterSource.read(client, config.rules().masqueradeConfig(), nsg));
            } catch (KubernetesClientException e) {
                return fail("cannot read the cluster: " + e.getMessage());
            }
        }
        if (nsg) {
            // Guidance, not findings: nothing would be changed, so nothing to signal in the exit code.
            new NsgFormat().write(NsgGuidance.of(manifests), out);
            out.flush();
            return 0;
        }
        ClusterView view = new ManifestClusterView(manifests, cluster);
        Report report = Report.of(engine, manifests, view);
        format.write(report, out);
        out.flush();
        if (fixedFile != null) {
            try {
                int written;
                if ("-".equals(fixedFile)) {
                    written = FixWriter.write(
                            report, manifests, new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
                } else {
                    try (Writer writer = Files.newBufferedWriter(Path.of(fixedFile))) {
                        written = FixWriter.write(report, manifests, writer);
                    }
                }
                err.println("report: wrote " + written + " corrected object(s) to " + fixedFile);
            } catch (IOException | RuntimeException e) {
                return fail("cannot write " + fixedFile + ": " + e.getMessage());
            }
        }
        return report.wouldChange() ? CHANGES : 0;
    }

    private int fail(String message) {
        err.println("report: " + message);
        return INPUT_ERROR;
    }
}
