package io.sourceipguard.policy.masq;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads one ip-masq-agent config value (YAML or JSON) strictly. The agents silently ignore
 * unknown fields, so a typo such as {@code nonMasqueradeCidrs} would masquerade everything:
 * here every problem is reported, with the fix.
 */
public final class MasqConfigParser {

    /** The parsed config, or the problems that stop it from being read as the agent would. */
    public record Result(MasqConfig config, List<String> problems) {
        public Result {
            problems = List.copyOf(problems);
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    // Go's time.ParseDuration, which the upstream agent uses for resyncInterval.
    private static final Pattern GO_DURATION = Pattern.compile("(?:\\d+(?:\\.\\d*)?(?:ns|us|µs|ms|s|m|h))+");

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    // The same few config texts arrive again and again (every apply, every retry of a denied
    // one, every sibling lookup), and YAML parsing is most of the rule's cost: keep the last few.
    private static final int CACHED_TEXTS = 64;
    private static final int CACHED_TEXT_MAX_CHARS = 16 * 1024;
    private static final Map<String, Result> CACHE = new LinkedHashMap<>(CACHED_TEXTS, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Result> eldest) {
            return size() > CACHED_TEXTS;
        }
    };

    private MasqConfigParser() {}

    /** Parses one config value; results are immutable and cached by text, so repeats are free. */
    public static Result parse(String text) {
        String key = text == null ? "" : text;
        if (key.length() > CACHED_TEXT_MAX_CHARS) {
            return read(key);
        }
        synchronized (CACHE) {
            Result cached = CACHE.get(key);
            if (cached != null) {
                return cached;
            }
        }
        Result result = read(key);
        synchronized (CACHE) {
            CACHE.put(key, result);
        }
        return result;
    }

    private static Result read(String text) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            return new Result(null, List.of("does not parse as YAML or JSON: " + describe(e)));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Result(new MasqConfig(null, null, null, null, null), List.of());
        }
        if (!root.isObject()) {
            return new Result(
                    null,
                    List.of("must be a mapping of fields (" + String.join(", ", MasqConfig.FIELDS) + "), not a "
                            + root.getNodeType().name().toLowerCase(Locale.ROOT)));
        }
        List<String> problems = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            String field = it.next().getKey();
            if (!MasqConfig.FIELDS.contains(field)) {
                problems.add(unknownField(field));
            }
        }
        List<String> cidrs = cidrList(root.get("nonMasqueradeCIDRs"), problems);
        Boolean linkLocal = bool(root, "masqLinkLocal", problems);
        Boolean linkLocal6 = bool(root, "masqLinkLocalIPv6", problems);
        String resync = duration(root.get("resyncInterval"), problems);
        Integer limit = positiveInt(root.get("cidrLimit"), problems);
        MasqConfig config = new MasqConfig(cidrs, linkLocal, linkLocal6, resync, limit);
        return new Result(problems.isEmpty() ? config : null, problems);
    }

    private static String unknownField(String field) {
        for (String known : MasqConfig.FIELDS) {
            if (known.equalsIgnoreCase(field)
                    || editDistance(known.toLowerCase(Locale.ROOT), field.toLowerCase(Locale.ROOT)) <= 2) {
                return "unknown field '" + field + "' (the agent ignores it); did you mean '" + known + "'?";
            }
        }
        return "unknown field '" + field + "' (the agent ignores it); known fields are "
                + String.join(", ", MasqConfig.FIELDS);
    }

    private static List<String> cidrList(JsonNode node, List<String> problems) {
        List<String> cidrs = new ArrayList<>();
        if (node == null || node.isNull()) {
            return cidrs;
        }
        if (!node.isArray()) {
            problems.add("nonMasqueradeCIDRs must be a list of CIDRs, such as [10.0.0.0/8]");
            return cidrs;
        }
        for (JsonNode entry : node) {
            if (entry.isNull()) {
                cidrs.add("");
            } else if (entry.isTextual()) {
                cidrs.add(entry.textValue());
            } else {
                problems.add("nonMasqueradeCIDRs entry " + entry + " is not a CIDR string");
            }
        }
        return cidrs;
    }

    private static Boolean bool(JsonNode root, String field, List<String> problems) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isBoolean()) {
            problems.add(field + " must be true or false, not " + node);
            return null;
        }
        return node.booleanValue();
    }

    private static String duration(JsonNode node, List<String> problems) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || !GO_DURATION.matcher(node.textValue()).matches()) {
            problems.add("resyncInterval must be a duration such as 60s or 1m30s, not " + node);
            return null;
        }
        return node.textValue();
    }

    private static Integer positiveInt(JsonNode node, List<String> problems) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() <= 0) {
            problems.add("cidrLimit must be a positive whole number, not " + node);
            return null;
        }
        return node.intValue();
    }

    private static String describe(JsonProcessingException e) {
        JsonLocation where = e.getLocation();
        String what = e.getOriginalMessage();
        int newline = what.indexOf('\n');
        if (newline > 0) {
            what = what.substring(0, newline);
        }
        return where == null ? what : what + " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
