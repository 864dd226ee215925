package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.ConfigMapData;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Rule;
import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import io.sourceipguard.policy.masq.MasqConfig;
import io.sourceipguard.policy.masq.MasqConfigParser;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rejects ip-masq-agent configs that hide pod IPs from the firewall, or that the agent could
 * not read (it exits on an invalid file, which crash-loops node networking cluster-wide).
 * Coverage is judged on the union the agent really applies: this ConfigMap merged with its
 * siblings, because Azure's agent unions the CIDR lists of every config file it is given.
 */
public final class MasqueradeConfigRule implements Rule {

    public static final String ID = "masquerade-config";

    // How many uncovered blocks a denial lists before it summarises the rest.
    private static final int SHOWN_GAPS = 8;
    private static final int SHOWN_PROBLEMS = 3;

    private final MasqSettings settings;

    public MasqueradeConfigRule(MasqSettings settings) {
        this.settings = settings;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Phase phase() {
        return Phase.VALIDATING;
    }

    @Override
    public boolean appliesTo(AdmissionSubject subject) {
        return subject.is("", "ConfigMap") && subject.operation() != Operation.CONNECT
                && settings.isMasqConfig(subject.namespace(), subject.name());
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        if (subject.operation() == Operation.DELETE) {
            return Finding.deny(ID, "deleting " + subject.displayName() + " would let the ip-masq-agent masquerade "
                    + "pod traffic again, so the firewall sees node IPs; edit its nonMasqueradeCIDRs instead.");
        }
        Map<String, String> data = dataOf(subject.object());
        List<String> problems = new ArrayList<>();
        List<Cidr> cidrs = new ArrayList<>();
        for (Map.Entry<String, String> file : data.entrySet()) {
            if (settings.isConfigKey(file.getKey())) {
                read(file.getKey(), file.getValue(), cidrs, problems);
            }
        }
        if (!problems.isEmpty()) {
            List<String> shown = problems.subList(0, Math.min(SHOWN_PROBLEMS, problems.size()));
            String more = problems.size() > SHOWN_PROBLEMS ? " (+" + (problems.size() - SHOWN_PROBLEMS) + " more)" : "";
            return Finding.deny(ID, subject.displayName() + " would stop the ip-masq-agent: "
                    + String.join("; ", shown) + more + ".");
        }
        List<Cidr> union = new ArrayList<>(cidrs);
        Optional<List<ConfigMapData>> siblings = cluster.configMaps(subject.namespace());
        siblings.ifPresent(all -> all.stream()
                .filter(cm -> settings.isMasqConfig(subject.namespace(), cm.name()) && !cm.name().equals(subject.name()))
                .forEach(cm -> union.addAll(siblingCidrs(cm))));
        List<Cidr> gaps = Cidrs.uncovered(settings.protectedCidrs(), union);
        Finding finding = gaps.isEmpty() ? Finding.pass(ID) : Finding.deny(ID, uncoveredMessage(subject, gaps));
        if (siblings.isEmpty()) {
            finding = finding.withNote("sibling ip-masq-agent configs could not be read; judged "
                    + subject.name() + " alone");
        }
        return finding;
    }

    private void read(String key, String text, List<Cidr> cidrs, List<String> problems) {
        MasqConfigParser.Result parsed = MasqConfigParser.parse(text);
        String where = "data key '" + key + "' ";
        if (!parsed.ok()) {
            parsed.problems().forEach(p -> problems.add(where + p));
            return;
        }
        MasqConfig config = parsed.config();
        int limit = config.cidrLimit() != null ? config.cidrLimit() : settings.cidrLimit();
        if (config.nonMasqueradeCIDRs().size() > limit) {
            problems.add(where + "lists " + config.nonMasqueradeCIDRs().size() + " CIDRs, more than the limit of "
                    + limit + "; merge them into fewer, larger blocks");
        }
        for (String text1 : config.nonMasqueradeCIDRs()) {
            try {
                Cidr block = Cidrs.parse(text1);
                if (block.ipv6() && !settings.ipv6Enabled()) {
                    problems.add(where + "has the IPv6 CIDR " + text1
                            + " but IPv6 is not enabled; remove it or enable IPv6 in sourceip-guard");
                } else {
                    cidrs.add(block);
                }
            } catch (InvalidCidrException e) {
                problems.add(where + e.getMessage());
            }
        }
    }

    // Siblings only add coverage: their own problems are reported when they are written.
    private List<Cidr> siblingCidrs(ConfigMapData sibling) {
        List<Cidr> cidrs = new ArrayList<>();
        for (Map.Entry<String, String> file : sibling.data().entrySet()) {
            if (!settings.isConfigKey(file.getKey())) {
                continue;
            }
            MasqConfigParser.Result parsed = MasqConfigParser.parse(file.getValue());
            if (!parsed.ok()) {
                continue;
            }
            for (String text : parsed.config().nonMasqueradeCIDRs()) {
                try {
                    cidrs.add(Cidrs.parse(text));
                } catch (InvalidCidrException ignored) {
                    // not coverage the agent would apply
                }
            }
        }
        return cidrs;
    }

    private static String uncoveredMessage(AdmissionSubject subject, List<Cidr> gaps) {
        List<String> shown = new ArrayList<>();
        for (Cidr gap : gaps.subList(0, Math.min(SHOWN_GAPS, gaps.size()))) {
            shown.add(gap.toString());
        }
        String more = gaps.size() > SHOWN_GAPS ? " and " + (gaps.size() - SHOWN_GAPS) + " more" : "";
        return subject.displayName() + " masquerades pod traffic to " + String.join(", ", shown) + more
                + ", so the firewall sees node IPs instead of pod IPs; add under nonMasqueradeCIDRs: "
                + "- " + String.join(" - ", shown) + more + ".";
    }

    private static Map<String, String> dataOf(JsonNode configMap) {
        Map<String, String> data = new LinkedHashMap<>();
        JsonNode node = configMap.path("data");
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            data.put(entry.getKey(), entry.getValue().asText(""));
        }
        return data;
    }
}
