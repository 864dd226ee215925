package io.sourceipguard.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sourceipguard.report.NsgGuidance.Entry;
import io.sourceipguard.report.NsgGuidance.Subnet;
import io.sourceipguard.report.format.NsgFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NsgGuidanceTest {

    private static final String LAB = "src/test/resources/fixtures/nsg/field-report-lab.yaml";

    private static List<Manifest> lab() {
        try {
            return ManifestReader.read(List.of(LAB), System.in);
        } catch (InputException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String print(NsgGuidance guidance) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new NsgFormat().write(guidance, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void localReachesOnlyTheSubnetWithAReadyEndpoint() {
        Entry service = NsgGuidance.of(lab()).services().get(0);
        assertTrue(service.local());
        assertEquals(
                List.of("aks-ingress"),
                service.receiving().stream().map(Subnet::name).toList());
        assertEquals(
                List.of("aks-system", "aks-ingress", "pool user"),
                service.all().stream().map(Subnet::name).toList());
        String text = print(NsgGuidance.of(lab()));
        assertTrue(
                text.contains(
                        "--nsg-name \"<nsg of aks-ingress>\" --name sourceip-guard-ingress-ingress-nginx-controller-clients"
                                + " --priority 200 --direction Inbound --access Allow --protocol Tcp --source-address-prefixes Internet"
                                + " --destination-address-prefixes 192.168.0.22 --destination-port-ranges 80"),
                text);
        assertTrue(
                text.contains("--source-address-prefixes AzureLoadBalancer --destination-address-prefixes '*'"
                        + " --destination-port-ranges 31049"),
                text);
        assertTrue(text.contains("168.63.129.16"), text);
        assertTrue(!text.contains("<nsg of aks-system>"), "no rule where no endpoint is ready: " + text);
        assertTrue(
                text.contains("note pool user: no node carries the label kubernetes.azure.com/network-subnet"), text);
        assertTrue(text.contains("192.168.0.36"), text);
    }

    @Test
    void clusterNeedsEveryNodeSubnetAndTheLateralRule() {
        List<Manifest> manifests = new ArrayList<>(lab());
        for (Manifest m : manifests) {
            if ("Service".equals(m.kind())) {
                ((ObjectNode) m.object().get("spec")).put("externalTrafficPolicy", "Cluster");
            }
        }
        NsgGuidance guidance = NsgGuidance.of(manifests);
        assertEquals(3, guidance.services().get(0).receiving().size());
        String text = print(guidance);
        for (String subnet : List.of("aks-system", "aks-ingress", "pool user")) {
            assertTrue(
                    text.contains("--nsg-name \"<nsg of " + subnet
                            + ">\" --name sourceip-guard-ingress-ingress-nginx-controller-node-to-node"),
                    text);
        }
        assertTrue(
                text.contains(
                        "--source-address-prefixes AzureLoadBalancer --destination-address-prefixes '*' --destination-port-ranges 31880"),
                text);
    }

    @Test
    void withoutEndpointSlicesOrNodesItSaysWhatItCannotTell() {
        List<Manifest> services =
                lab().stream().filter(m -> "Service".equals(m.kind())).toList();
        String text = print(NsgGuidance.of(services));
        assertTrue(text.contains("no EndpointSlice of this Service in the input"), text);
        assertTrue(text.contains("no Nodes in the input"), text);
    }

    @Test
    void theReportCommandPrintsItAndExitsZero() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new picocli.CommandLine(new ReportCommand(
                        System.in,
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute("-f", LAB, "-o", "nsg");
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("SERVICE"), out.toString(StandardCharsets.UTF_8));
    }
}
