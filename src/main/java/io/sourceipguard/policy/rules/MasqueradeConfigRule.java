package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.sourceipguard.policy.AdmissionSubject;
import io.sourceipguard.policy.ClusterView;
import io.sourceipguard.policy.ClusterView.ConfigMapData;
import io.sourceipguard.policy.ClusterView.NodeMeta;
import io.sourceipguard.policy.Finding;
import io.sourceipguard.policy.Operation;
import io.sourceipguard.policy.Outcome;
import io.sourceipguard.policy.PatchOperation;
import io.sourceipguard.policy.Rule;
import io.sourceipguard.policy.cidr.Cidr;
import io.sourceipguard.policy.cidr.Cidrs;
import io.sourceipguard.policy.cidr.InvalidCidrException;
import io.sourceipguard.policy.masq.MasqAgent;
import io.sourceipguard.policy.masq.MasqConfig;
import io.sourceipguard.policy.masq.MasqConfigParser;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rejects ip-masq-agent configs that hide pod IPs from the firewall where pod IPs could be seen
 * (a routable pod network), that would cut egress where they cannot (overlay, kubenet), that
 * stop masquerading to destinations which answer only the node's own IP (IMDS, Azure's platform
 * address), or that the agent could not read (it exits on an invalid file, which crash-loops
 * node networking cluster-wide). Coverage is judged on the union the agent really applies: this
 * ConfigMap merged with its siblings, because Azure's agent unions the CIDR lists (and ORs the
 * link-local switches) of every config file it is given. Configs the platform writes are judged
 * the same way but never refused, and every denial carries the complete list to apply.
 */
public final class MasqueradeConfigRule implements Rule {

    public static final String ID = "masquerade-config";

    private static final int SHOWN_PROBLEMS = 3;
    private static final Cidr LINK_LOCAL = cidr("169.254.0.0/16");
    private static final List<Cidr> EVERYTHING = List.of(cidr("0.0.0.0/0"), cidr("::/0"));
    // Where the cluster's own ranges are unknown on an overlay network, these may be the pod
    // range and get the benefit of the doubt (RFC 1918 and RFC 6598); a public range never does.
    private static final List<Cidr> PRIVATE =
            List.of(cidr("10.0.0.0/8"), cidr("172.16.0.0/12"), cidr("192.168.0.0/16"), cidr("100.64.0.0/10"));
    private static final String EGRESS_ADVICE =
            "For stable per-workload source IPs at the firewall on this network, use"
                    + " AKS Static Egress Gateway (a StaticGatewayConfiguration and the pod annotation"
                    + " kubernetes.azure.com/static-gateway-configuration) or pod subnet networking.";

    // Enough for every masq config of a cluster and a few versions of each; cleared, not evicted, when full.
    private static final int REMEMBERED_VERDICTS = 64;

    private final MasqSettings settings;
    private final Map<Inputs, Finding> verdicts = new ConcurrentHashMap<>();
    // What a routable network's configs must cover: the protected ranges less what must stay masqueraded.
    private final List<Cidr> coverageTarget;

    public MasqueradeConfigRule(MasqSettings settings) {
        this.settings = settings;
        this.coverageTarget = Cidrs.uncovered(settings.protectedCidrs(), settings.mustMasqueradeCidrs());
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
        return subject.is("", "ConfigMap")
                && subject.operation() != Operation.CONNECT
                && settings.isMasqConfig(subject.namespace(), subject.name());
    }

    @Override
    public Finding evaluate(AdmissionSubject subject, ClusterView cluster) {
        Finding finding = judge(subject, cluster);
        if (finding.outcome() == Outcome.DENY && settings.isPlatformConfig(subject.name())) {
            // The platform reconciles this object: refusing it would only block AKS, never fix it.
            return finding.asWarning("admitted: the platform writes " + subject.name()
                    + " (rules.masquerade-config.platform-names); fix it at its source:");
        }
        return finding;
    }

    private Finding judge(AdmissionSubject subject, ClusterView cluster) {
        Network network = network(cluster);
        if (subject.operation() == Operation.DELETE) {
            if (network.kind != PodNetwork.ROUTABLE) {
                return Finding.pass(ID);
            }
            return Finding.deny(
                    ID,
                    "deleting " + subject.displayName() + " would let the ip-masq-agent masquerade "
                            + "pod traffic again, so the firewall sees node IPs; edit its nonMasqueradeCIDRs instead.");
        }
        Map<String, String> data = dataOf(subject.object());
        Optional<List<ConfigMapData>> siblingMaps = cluster.configMaps(subject.namespace());
        Map<String, Map<String, String>> siblingData = new LinkedHashMap<>();
        siblingMaps.ifPresent(all -> all.stream()
                .filter(cm -> settings.isMasqConfig(subject.namespace(), cm.name())
                        && !cm.name().equals(subject.name()))
                .forEach(cm -> siblingData.put(cm.name(), cm.data())));
        // The agents the cluster runs (from their DaemonSets), else the known agents' own mounts.
        List<MasqAgent> running = cluster.masqAgents().orElse(List.of()).stream()
                .filter(a -> settings.names().stream().anyMatch(a::mounts))
                .toList();
        ClusterRanges ranges = network.kind == PodNetwork.OVERLAY ? clusterRanges(cluster, siblingData) : null;
        Inputs inputs = new Inputs(
                subject.operation(),
                subject.name(),
                subject.displayName(),
                data,
                keyOrder(data, siblingData),
                siblingMaps.isPresent(),
                siblingData,
                running.isEmpty() ? MasqAgent.KNOWN : running,
                network,
                ranges);
        if (verdicts.size() >= REMEMBERED_VERDICTS) {
            verdicts.clear();
        }
        return verdicts.computeIfAbsent(inputs, this::judge);
    }

    /**
     * Everything a judgement reads besides the settings: equal inputs, equal finding. A denial's
     * complete fix costs far more than the request (the shortest cover of up to hundreds of
     * blocks), and the same config is written again and again (apply loops, GitOps reconciling
     * a refused file, a platform's periodic reconcile), so the findings of the last few are kept.
     */
    private record Inputs(
            Operation operation,
            String name,
            String displayName,
            Map<String, String> data,
            List<String> keyOrder,
            boolean siblingsKnown,
            Map<String, Map<String, String>> siblingData,
            List<MasqAgent> agents,
            Network network,
            ClusterRanges ranges) {}

    // Maps compare without their order, but the order of keys decides which key a fix goes to.
    private static List<String> keyOrder(Map<String, String> data, Map<String, Map<String, String>> siblingData) {
        List<String> order = new ArrayList<>(data.keySet());
        siblingData.forEach((name, sibling) -> {
            order.add(name);
            order.addAll(sibling.keySet());
        });
        return order;
    }

    private Finding judge(Inputs in) {
        Map<String, String> data = in.data;
        Network network = in.network;
        List<MasqAgent> readers =
                in.agents.stream().filter(a -> a.mounts(in.name)).toList();
        List<Reading> readings = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (readers.isEmpty()) {
            // A name no known agent mounts (configured by hand): every config-looking key of every name counts.
            List<MasqConfig> siblings = new ArrayList<>();
            in.siblingData.values().forEach(d -> siblings.addAll(configsOf(d, settings::isConfigKey)));
            List<String> keys =
                    data.keySet().stream().filter(settings::isConfigKey).toList();
            readings.add(
                    new Reading("the ip-masq-agent", keys, siblings, keys.isEmpty() ? "ip-masq-agent" : keys.get(0)));
        } else {
            for (MasqAgent agent : readers) {
                List<String> keys = data.keySet().stream()
                        .filter(k -> reads(agent, in.name, k))
                        .toList();
                List<MasqConfig> siblings = new ArrayList<>();
                in.siblingData.forEach((name, d) -> siblings.addAll(configsOf(d, k -> reads(agent, name, k))));
                String fixKey = agent.mounts().stream()
                        .filter(m -> m.configMap().equals(in.name) && m.key() != null && agent.reads(m.path()))
                        .map(MasqAgent.Mount::key)
                        .findFirst()
                        .orElse("ip-masq-agent");
                readings.add(new Reading(agent.name(), keys, siblings, fixKey));
            }
            List<String> read = readings.stream().flatMap(r -> r.keys.stream()).toList();
            for (String key : data.keySet()) {
                if (!read.contains(key) && settings.isConfigKey(key)) {
                    notes.add("data key '" + key + "' is read by no agent that mounts " + in.name + " ("
                            + String.join(
                                    ", ", readers.stream().map(MasqAgent::name).toList())
                            + "): it masquerades nothing and gives no coverage");
                }
            }
        }
        Map<String, MasqConfig> files = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        readings.stream()
                .flatMap(r -> r.keys.stream())
                .distinct()
                .forEach(key -> read(key, data.get(key), files, problems));
        if (!problems.isEmpty()) {
            List<String> shown = problems.subList(0, Math.min(SHOWN_PROBLEMS, problems.size()));
            String more = problems.size() > SHOWN_PROBLEMS ? " (+" + (problems.size() - SHOWN_PROBLEMS) + " more)" : "";
            return Finding.deny(
                    ID, in.displayName + " would stop the ip-masq-agent: " + String.join("; ", shown) + more + ".");
        }
        Finding finding = null;
        for (Reading reading : readings) {
            Map<String, MasqConfig> own = new LinkedHashMap<>();
            reading.keys.forEach(k -> own.put(k, files.get(k)));
            Judgement judgement = new Judgement(in.displayName, own, reading.siblings, reading.fixKey);
            judgement.mustMasquerade();
            switch (network.kind) {
                case ROUTABLE -> judgement.coverage();
                case OVERLAY -> judgement.egress(network, in.ranges);
                case POD_SUBNET ->
                    judgement.notes.add("pod subnet network (" + network.basis + "): the pod IP is the"
                            + " source whatever the agent does, so coverage is not demanded");
            }
            Finding judged = judgement.finding();
            if (readings.size() > 1 && judged.outcome() == Outcome.DENY) {
                judged = new Finding(
                        ID,
                        Outcome.DENY,
                        "as " + reading.agent + " reads it, " + judged.message(),
                        judged.patch(),
                        judged.notes());
            }
            notes.addAll(
                    judgement.notes.stream().filter(n -> !notes.contains(n)).toList());
            if (finding == null || (judged.outcome() == Outcome.DENY && finding.outcome() != Outcome.DENY)) {
                finding = judged;
            }
        }
        if (network.note != null) {
            finding = finding.withNote(network.note);
        }
        if (!in.siblingsKnown) {
            finding = finding.withNote("sibling ip-masq-agent configs could not be read; judged " + in.name + " alone");
        }
        for (String note : notes) {
            finding = finding.withNote(note);
        }
        return finding;
    }

    private static boolean reads(MasqAgent agent, String configMap, String key) {
        String path = agent.pathOf(configMap, key);
        return path != null && agent.reads(path);
    }

    /** What one agent reads of this ConfigMap (keys, and the key a fix goes to) and of its siblings. */
    private record Reading(String agent, List<String> keys, List<MasqConfig> siblings, String fixKey) {}

    /** The pod network, how it is known, and what a user should be told about that. */
    private record Network(PodNetwork kind, String basis, String note) {}

    private Network network(ClusterView cluster) {
        if (settings.podNetwork() != null) {
            return new Network(
                    settings.podNetwork(),
                    "rules.masquerade-config.pod-network="
                            + settings.podNetwork().label(),
                    null);
        }
        if (!cluster.hasCluster()) {
            return new Network(
                    PodNetwork.ROUTABLE,
                    "no cluster to read, judged as routable",
                    "cluster facts were not checked (no Kubernetes API): judged as a routable pod network; for an"
                            + " overlay or kubenet cluster, configure rules.masquerade-config.pod-network");
        }
        Optional<List<NodeMeta>> nodes = cluster.nodes();
        PodNetwork.Detected detected = nodes.map(PodNetwork::detect).orElse(null);
        if (detected == null) {
            String why = nodes.isEmpty() ? "the Nodes cannot be read yet" : "the cluster has no Nodes";
            return new Network(
                    PodNetwork.OVERLAY,
                    why + ", judged as overlay",
                    why + ", so the pod network is unknown:"
                            + " judged as overlay, which never asks to stop masquerading beyond the cluster's own ranges");
        }
        return new Network(detected.network(), detected.evidence(), null);
    }

    /**
     * The cluster's own ranges on an overlay network. Exact when configured or when the platform
     * reconciled its config (AKS writes the pod CIDR there); the Nodes' pod CIDRs are only slices
     * of the pod range, a lower bound, so private ranges beyond them keep the benefit of the doubt.
     */
    private record ClusterRanges(List<Cidr> known, boolean exact) {}

    private ClusterRanges clusterRanges(ClusterView cluster, Map<String, Map<String, String>> siblingData) {
        if (!settings.clusterCidrs().isEmpty()) {
            return new ClusterRanges(settings.clusterCidrs(), true);
        }
        List<Cidr> platformBlocks = new ArrayList<>();
        siblingData.forEach((name, data) -> {
            if (settings.isPlatformConfig(name)) {
                configsOf(data, settings::isConfigKey).forEach(c -> platformBlocks.addAll(c.blocks()));
            }
        });
        if (!platformBlocks.isEmpty()) {
            return new ClusterRanges(platformBlocks, true);
        }
        List<Cidr> slices = new ArrayList<>();
        cluster.nodes()
                .ifPresent(nodes -> nodes.forEach(node -> node.podCidrs().forEach(text -> {
                    try {
                        slices.add(Cidrs.parse(text));
                    } catch (InvalidCidrException ignored) {
                        // a Node's spec is validated by the API server; nothing else to learn from it
                    }
                })));
        return new ClusterRanges(slices, false);
    }

    /** One evaluation's problems, notes and the complete fix, built up check by check. */
    private final class Judgement {
        final String displayName;
        final Map<String, MasqConfig> files;
        final String fixKey;
        final List<Cidr> own = new ArrayList<>();
        final List<Cidr> union = new ArrayList<>();
        final boolean linkLocalMasqueraded;
        final List<String> problems = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final List<Cidr> required = new ArrayList<>();
        final List<Cidr> forbidden = new ArrayList<>(settings.mustMasqueradeCidrs());
        boolean needLinkLocal;
        String why = "";

        Judgement(String displayName, Map<String, MasqConfig> files, List<MasqConfig> siblings, String fixKey) {
            this.displayName = displayName;
            this.files = files;
            this.fixKey = fixKey;
            files.values().forEach(c -> own.addAll(c.blocks()));
            union.addAll(own);
            siblings.forEach(c -> union.addAll(c.blocks()));
            // Azure's agent ORs the switches of every file; with none set, link-local is left alone.
            boolean linkLocal = false;
            for (MasqConfig c : files.values()) {
                linkLocal |= Boolean.TRUE.equals(c.masqLinkLocal());
            }
            for (MasqConfig c : siblings) {
                linkLocal |= Boolean.TRUE.equals(c.masqLinkLocal());
            }
            this.linkLocalMasqueraded = linkLocal;
        }

        // IMDS and Azure's platform address answer only the node's own IP: a pod source breaks
        // managed identity tokens and platform DNS, whatever the network.
        void mustMasquerade() {
            List<String> listed = new ArrayList<>();
            List<String> linkLocal = new ArrayList<>();
            List<Cidr> unmasqueraded = Cidrs.overlapping(settings.mustMasqueradeCidrs(), own);
            for (Cidr destination : settings.mustMasqueradeCidrs()) {
                if (unmasqueraded.contains(destination)) {
                    listed.add(destination.toString());
                } else if (!linkLocalMasqueraded && Cidrs.overlaps(destination, List.of(LINK_LOCAL))) {
                    linkLocal.add(destination.toString());
                }
            }
            if (!listed.isEmpty()) {
                problems.add("stops masquerading pod traffic to " + String.join(", ", listed)
                        + ", which answers only the node's own IP (IMDS: managed identity tokens; 168.63.129.16: platform DNS"
                        + " and health), so pods would lose them");
            }
            if (!linkLocal.isEmpty()) {
                needLinkLocal = true;
                problems.add(
                        "leaves link-local 169.254.0.0/16 unmasqueraded (masqLinkLocal is not true in any config file),"
                                + " so pod traffic to " + String.join(", ", linkLocal)
                                + " (IMDS) keeps the pod IP and is refused");
            }
        }

        // Routable pod IPs: the protected set, less what must stay masqueraded, must be covered.
        void coverage() {
            List<Cidr> gaps = Cidrs.uncovered(coverageTarget, union);
            if (!gaps.isEmpty()) {
                required.addAll(gaps);
                problems.add("masquerades pod traffic to " + text(gaps)
                        + ", so the firewall sees node IPs instead of pod IPs");
            }
        }

        // Overlay and kubenet: pod IPs exist only inside the cluster, so no range outside it may
        // be left unmasqueraded; coverage is not demanded.
        void egress(Network network, ClusterRanges ranges) {
            List<Cidr> allowed = new ArrayList<>(ranges.known());
            if (!ranges.exact()) {
                allowed.addAll(PRIVATE);
            }
            List<Cidr> outside = Cidrs.uncovered(own, allowed);
            forbidden.addAll(Cidrs.uncovered(EVERYTHING, allowed));
            why = " On this overlay network (" + network.basis
                    + "), pod IPs exist only inside the cluster: traffic that keeps a pod source cannot be answered from"
                    + " outside it. " + EGRESS_ADVICE;
            if (!outside.isEmpty()) {
                problems.add(
                        "stops masquerading pod traffic to " + text(outside) + ", outside the cluster's own ranges ("
                                + (ranges.exact()
                                        ? text(ranges.known())
                                        : "not known exactly; only private and shared ranges may" + " be the pod range")
                                + "), which cuts the pods' egress there");
            }
            // own ∩ (allowed − known): what is admitted only because it may be the pod range
            List<Cidr> doubtful = ranges.exact()
                    ? List.of()
                    : Cidrs.uncovered(Cidrs.uncovered(own, Cidrs.uncovered(own, PRIVATE)), ranges.known());
            if (!doubtful.isEmpty()) {
                notes.add("the cluster's pod ranges are not known exactly (set rules.masquerade-config.cluster-cidrs): "
                        + text(doubtful)
                        + " is admitted as possibly the pod range, but cuts egress there if it is not");
            }
        }

        Finding finding() {
            if (problems.isEmpty()) {
                return Finding.pass(ID);
            }
            List<Cidr> keep = new ArrayList<>(required);
            keep.addAll(own);
            List<Cidr> list = Cidrs.shortestCover(keep, forbidden);
            String key = files.isEmpty() ? fixKey : files.keySet().iterator().next();
            MasqConfig base = files.getOrDefault(key, new MasqConfig(null, null, null, null, null));
            MasqConfig fixed = base.with(
                    list.stream().map(Cidr::toString).toList(), needLinkLocal ? Boolean.TRUE : base.masqLinkLocal());
            int limit = base.cidrLimit() != null ? base.cidrLimit() : settings.cidrLimit();
            List<PatchOperation> fix = new ArrayList<>();
            fix.add(file(key, fixed));
            for (Map.Entry<String, MasqConfig> other : files.entrySet()) {
                if (!other.getKey().equals(key)) {
                    fix.add(file(
                            other.getKey(),
                            other.getValue().with(List.of(), other.getValue().masqLinkLocal())));
                }
            }
            StringBuilder message = new StringBuilder(displayName)
                    .append(' ')
                    .append(String.join("; it ", problems))
                    .append('.')
                    .append(why)
                    .append(" The complete fix: set data key '")
                    .append(key)
                    .append("' to nonMasqueradeCIDRs: [")
                    .append(String.join(", ", fixed.nonMasqueradeCIDRs()))
                    .append(']');
            if (needLinkLocal) {
                message.append(" and masqLinkLocal: true");
            }
            if (files.size() > 1) {
                message.append(", and empty the nonMasqueradeCIDRs of its other config keys");
            }
            message.append(" (").append(list.size()).append(list.size() == 1 ? " block" : " blocks");
            if (list.size() > limit) {
                message.append("; no shorter list exists, and it exceeds the agent's limit of ")
                        .append(limit)
                        .append(": narrow rules.masquerade-config.protected-cidrs");
            }
            message.append(").");
            return Finding.deny(ID, message.toString(), fix);
        }

        private PatchOperation file(String key, MasqConfig config) {
            return PatchOperation.replace("/data/" + PatchOperation.escape(key), TextNode.valueOf(config.toYaml()));
        }
    }

    private void read(String key, String text, Map<String, MasqConfig> files, List<String> problems) {
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
        for (MasqConfig.Entry entry : config.entries()) {
            if (entry.block() == null) {
                problems.add(where + entry.problem());
            } else if (entry.block().ipv6() && !settings.ipv6Enabled()) {
                problems.add(where + "has the IPv6 CIDR " + entry.text()
                        + " but IPv6 is not enabled; remove it or enable IPv6 in sourceip-guard");
            }
        }
        files.put(key, config);
    }

    // Siblings only add coverage: their own problems are reported when they are written.
    private static List<MasqConfig> configsOf(Map<String, String> data, java.util.function.Predicate<String> keys) {
        List<MasqConfig> configs = new ArrayList<>();
        for (Map.Entry<String, String> file : data.entrySet()) {
            if (keys.test(file.getKey())) {
                MasqConfigParser.Result parsed = MasqConfigParser.parse(file.getValue());
                if (parsed.ok()) {
                    configs.add(parsed.config());
                }
            }
        }
        return configs;
    }

    private static String text(List<Cidr> blocks) {
        StringBuilder out = new StringBuilder(blocks.size() * 16);
        for (Cidr block : blocks) {
            if (!out.isEmpty()) {
                out.append(", ");
            }
            block.appendTo(out);
        }
        return out.toString();
    }

    private static Cidr cidr(String text) {
        try {
            return Cidrs.parse(text);
        } catch (InvalidCidrException e) {
            throw new IllegalStateException(e);
        }
    }

    // data and binaryData alike: a mounted key is a file either way (the API server keeps their keys apart).
    private static Map<String, String> dataOf(JsonNode configMap) {
        Map<String, String> data = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = configMap.path("data").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            data.put(entry.getKey(), entry.getValue().asText(""));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        configMap.path("binaryData").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            data.put(entry.getKey(), ConfigMapData.decode(entry.getValue().asText("")));
        }
        return data;
    }
}
