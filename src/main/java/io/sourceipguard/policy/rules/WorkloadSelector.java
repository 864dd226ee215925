package io.sourceipguard.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognises one kind of ingress controller workload. Written like an equality-based label
 * selector ({@code app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller}),
 * matched against the workload's labels or its pod template's labels, with one extra term,
 * {@code image:<text>}, that a container or init container image must contain (Contour's Envoy
 * carries only {@code app: envoy}; the Contour image beside it is what marks it). A bare key, as in
 * set-based selectors, means the label exists with any value ({@code gateway.networking.k8s.io/gateway-name}
 * names the Gateway, whatever it is called). A term {@code annotation:<key>} means the workload or its
 * pod template carries that annotation, with any value (NGINX Gateway Fabric's provisioner names the
 * Gateway in an annotation, not a label).
 */
public final class WorkloadSelector {

    private final String text;
    private final Map<String, String> labels;
    private final List<String> keys;
    private final List<String> images;
    private final List<String> annotations;
    // The same terms as arrays: matched against every workload write, so no iterator is allocated per match.
    private final String[] keyArray;
    private final String[] labelKeys;
    private final String[] labelValues;

    private WorkloadSelector(
            String text, Map<String, String> labels, List<String> keys, List<String> images, List<String> annotations) {
        this.text = text;
        this.labels = labels;
        this.keys = keys;
        this.images = images;
        this.annotations = annotations;
        this.keyArray = keys.toArray(String[]::new);
        this.labelKeys = labels.keySet().toArray(String[]::new);
        this.labelValues = labels.values().toArray(String[]::new);
    }

    /** Parses the selector text; throws IllegalArgumentException with a message naming the bad term. */
    public static WorkloadSelector parse(String text) {
        Map<String, String> labels =
                new java.util.LinkedHashMap<>(); // in the order written: the generated policies are stable
        List<String> keys = new ArrayList<>();
        List<String> images = new ArrayList<>();
        List<String> annotations = new ArrayList<>();
        for (String raw : text.split(",", -1)) { // -1 keeps a trailing empty term, refused like any empty term
            String term = raw.strip();
            if (term.startsWith("image:")) {
                String image = term.substring("image:".length()).strip();
                if (image.isEmpty()) {
                    throw new IllegalArgumentException(
                            "selector '" + text + "': image: needs the text an image must contain");
                }
                images.add(image);
                continue;
            }
            if (term.startsWith("annotation:")) {
                String key = term.substring("annotation:".length()).strip();
                if (key.isEmpty() || key.chars().anyMatch(c -> Character.isWhitespace(c) || c == '=')) {
                    throw new IllegalArgumentException(
                            "selector '" + text + "': annotation: needs the key of an annotation that must exist");
                }
                annotations.add(key);
                continue;
            }
            int eq = term.indexOf('=');
            if (eq < 0 && !term.isEmpty() && term.chars().noneMatch(Character::isWhitespace)) {
                keys.add(term);
                continue;
            }
            String key = eq < 0 ? "" : term.substring(0, eq).strip();
            String value = eq < 0
                    ? ""
                    : term.substring(term.startsWith("==", eq) ? eq + 2 : eq + 1)
                            .strip();
            if (key.isEmpty() || value.isEmpty()) {
                throw new IllegalArgumentException("selector '" + text + "': term '" + term
                        + "' must be key=value, key, image:<text> or annotation:<key>");
            }
            labels.put(key, value);
        }
        if (labels.isEmpty() && keys.isEmpty() && images.isEmpty() && annotations.isEmpty()) {
            throw new IllegalArgumentException("selector '" + text + "' is empty");
        }
        return new WorkloadSelector(
                text,
                java.util.Collections.unmodifiableMap(labels),
                List.copyOf(keys),
                List.copyOf(images),
                List.copyOf(annotations));
    }

    /** The label terms, matched against the workload's labels or its pod template's. */
    public Map<String, String> labels() {
        return labels;
    }

    /** The {@code image:} terms: text a container or init container image must contain. */
    public List<String> images() {
        return images;
    }

    /** The bare-key terms: a label that must exist, whatever its value. */
    public List<String> keys() {
        return keys;
    }

    /** The {@code annotation:} terms: an annotation the workload or its pod template must carry. */
    public List<String> annotations() {
        return annotations;
    }

    /** True when the workload (a Deployment, DaemonSet or StatefulSet tree) matches every term. */
    public boolean matches(JsonNode workload) {
        JsonNode own = workload.path("metadata").path("labels");
        JsonNode pod = workload.path("spec").path("template").path("metadata").path("labels");
        if (!hasAll(own) && !hasAll(pod)) {
            return false;
        }
        for (String key : annotations) {
            if (!workload.path("metadata").path("annotations").has(key)
                    && !workload.path("spec")
                            .path("template")
                            .path("metadata")
                            .path("annotations")
                            .has(key)) {
                return false;
            }
        }
        for (String image : images) {
            if (!usesImage(workload.path("spec").path("template").path("spec"), image)) {
                return false;
            }
        }
        return true;
    }

    private boolean hasAll(JsonNode labelMap) {
        for (String key : keyArray) {
            if (!labelMap.has(key)) {
                return false;
            }
        }
        for (int i = 0; i < labelKeys.length; i++) {
            JsonNode value = labelMap.get(labelKeys[i]);
            if (value == null || !labelValues[i].equals(value.asText(null))) {
                return false;
            }
        }
        return true;
    }

    private static boolean usesImage(JsonNode podSpec, String image) {
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode container : podSpec.path(list)) {
                if (container.path("image").asText("").contains(image)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }
}
