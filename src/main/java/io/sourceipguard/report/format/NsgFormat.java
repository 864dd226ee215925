package io.sourceipguard.report.format;

import io.sourceipguard.report.NsgGuidance;
import io.sourceipguard.report.NsgGuidance.Entry;
import io.sourceipguard.report.NsgGuidance.Port;
import io.sourceipguard.report.NsgGuidance.Subnet;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code -o nsg}: per LoadBalancer Service, the subnets that receive its traffic and the inbound rules
 * their NSGs need, as a table and as {@code az network nsg rule create} lines to review and run by hand
 * (printed, never run). The resource group and NSG names are placeholders: the cluster does not know them.
 */
public final class NsgFormat {

    private static final String[] HEADER = {
        "SERVICE", "POLICY", "SUBNET", "NODES", "RULE", "SOURCE", "DESTINATION", "PORTS"
    };
    private static final int FIRST_PRIORITY = 200;

    /** One inbound rule for one subnet's NSG. */
    private record InboundRule(
            Entry service,
            Subnet subnet,
            String purpose,
            String source,
            String destination,
            String protocol,
            List<String> ports) {}

    public void write(NsgGuidance guidance, PrintStream out) {
        List<InboundRule> rules = new ArrayList<>();
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        for (Entry service : guidance.services()) {
            for (Subnet subnet : service.all()) {
                boolean receives =
                        service.receiving().stream().anyMatch(s -> s.name().equals(subnet.name()));
                List<InboundRule> own = receives ? rules(service, subnet) : List.of();
                rules.addAll(own);
                String nodes = String.join(",", subnet.nodes());
                if (own.isEmpty()) {
                    lines.add(new String[] {
                        service.displayName(),
                        policy(service),
                        subnet.name(),
                        nodes,
                        "none",
                        "-",
                        "-",
                        "no ready endpoint here: the probe fails, no traffic arrives"
                    });
                }
                for (InboundRule rule : own) {
                    lines.add(new String[] {
                        service.displayName(),
                        policy(service),
                        subnet.name(),
                        nodes,
                        rule.purpose(),
                        rule.source(),
                        rule.destination(),
                        rule.protocol() + " " + String.join(",", rule.ports())
                    });
                }
            }
            if (service.all().isEmpty()) {
                lines.add(new String[] {
                    service.displayName(), policy(service), "(unknown)", "-", "-", "-", "-", "no Nodes"
                });
            }
        }
        out.print(TableFormat.align(lines));
        out.println();
        out.println("Azure load balancer probes come from " + NsgGuidance.PROBE_ADDRESS + " (service tag "
                + NsgGuidance.PROBE_SOURCE + "); an NSG that blocks it marks every node unhealthy.");
        for (Entry service : guidance.services()) {
            for (String note : service.notes()) {
                out.println("note " + service.displayName() + ": " + note);
            }
        }
        for (Subnet subnet : guidance.services().stream()
                .flatMap(s -> s.all().stream())
                .filter(s -> !s.known())
                .collect(Collectors.toMap(Subnet::name, s -> s, (a, b) -> a, LinkedHashMap::new))
                .values()) {
            out.println("note " + subnet.name()
                    + ": no node carries the label kubernetes.azure.com/network-subnet; nodes "
                    + String.join(", ", subnet.nodes())
                    + (subnet.addresses().isEmpty() ? "" : " have InternalIPs " + String.join(", ", subnet.addresses()))
                    + ": find their subnet with az vmss nic list");
        }
        guidance.notes().forEach(n -> out.println("note: " + n));
        out.println();
        out.println("# The az commands for these rules (review, then run; nothing is run for you):");
        Map<String, Integer> priorities = new HashMap<>();
        for (InboundRule rule : rules) {
            int priority = priorities.merge(rule.subnet().name(), 0, (a, b) -> a + 10);
            out.println(az(rule, FIRST_PRIORITY + priority));
        }
    }

    private static String policy(Entry service) {
        return service.local() ? "Local" : "Cluster";
    }

    private static List<InboundRule> rules(Entry service, Subnet subnet) {
        List<InboundRule> rules = new ArrayList<>();
        for (Map.Entry<String, List<Port>> byProtocol : service.ports().stream()
                .collect(Collectors.groupingBy(Port::protocol, LinkedHashMap::new, Collectors.toList()))
                .entrySet()) {
            rules.add(new InboundRule(
                    service,
                    subnet,
                    "clients",
                    String.join(",", service.sources()),
                    service.frontend(),
                    byProtocol.getKey(),
                    byProtocol.getValue().stream()
                            .map(p -> String.valueOf(p.port()))
                            .toList()));
        }
        // Local: the probe asks kube-proxy's health check node port, which answers 200 only where an endpoint is ready.
        List<String> probePorts = service.local()
                ? List.of(
                        service.healthCheckNodePort() > 0
                                ? String.valueOf(service.healthCheckNodePort())
                                : "<healthCheckNodePort>")
                : service.ports().stream()
                        .map(p -> p.nodePort() > 0 ? String.valueOf(p.nodePort()) : "<nodePort>")
                        .toList();
        rules.add(new InboundRule(service, subnet, "probe", NsgGuidance.PROBE_SOURCE, "*", "TCP", probePorts));
        if (!service.local()) {
            // Cluster: any node may forward to a pod on this subnet's nodes, after SNAT, and nodes probe each other.
            rules.add(new InboundRule(
                    service,
                    subnet,
                    "node-to-node",
                    "VirtualNetwork",
                    "*",
                    "TCP",
                    service.ports().stream().map(Port::targetPort).distinct().toList()));
        }
        return rules;
    }

    private static String az(InboundRule rule, int priority) {
        String name = ("sourceip-guard-" + rule.service().namespace() + "-"
                        + rule.service().name() + "-" + rule.purpose())
                .replaceAll("[^A-Za-z0-9_.-]", "-");
        String protocol =
                rule.protocol().charAt(0) + rule.protocol().substring(1).toLowerCase(Locale.ROOT);
        return "az network nsg rule create --resource-group \"$RESOURCE_GROUP\" --nsg-name \"<nsg of "
                + rule.subnet().name()
                + ">\" --name " + name + " --priority " + priority + " --direction Inbound --access Allow --protocol "
                + protocol + " --source-address-prefixes " + rule.source().replace(',', ' ')
                + " --destination-address-prefixes "
                + (rule.destination().equals("*") ? "'*'" : rule.destination()) + " --destination-port-ranges "
                + String.join(" ", rule.ports());
    }
}
