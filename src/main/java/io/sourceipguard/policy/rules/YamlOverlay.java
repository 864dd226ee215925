package io.sourceipguard.policy.rules;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One YAML document held as SnakeYAML's node tree, so that a change to one field keeps every other key,
 * value, its order, its scalar style and the comments: parse, change, write. Used for the overlays that
 * Istio's Gateway ConfigMaps hold as strings, which a JSON Patch cannot reach inside.
 */
final class YamlOverlay {

    // A plain scalar that every YAML reader takes as this same string (no booleans, numbers or nulls).
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z][A-Za-z0-9._/-]*");
    private static final Pattern KEYWORD = Pattern.compile("(?i)y|n|yes|no|true|false|on|off|null");

    private final MappingNode root;

    private YamlOverlay(MappingNode root) {
        this.root = root;
    }

    /** The document of {@code text}; an empty text is an empty mapping. Throws with the reason when it is not one mapping. */
    static YamlOverlay parse(String text) {
        Node node;
        try {
            node = yaml().compose(new StringReader(text));
        } catch (YAMLException e) {
            String why = e.getMessage() == null
                    ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("not YAML (" + why + ")");
        }
        if (node == null) {
            return new YamlOverlay(new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK));
        }
        if (!(node instanceof MappingNode mapping)) {
            throw new IllegalArgumentException("not a YAML mapping");
        }
        return new YamlOverlay(mapping);
    }

    /** The scalar at {@code path}, or null when it or a parent is absent or not of that shape. */
    String scalar(List<String> path) {
        Node node = at(path);
        return node instanceof ScalarNode scalar ? scalar.getValue() : null;
    }

    /** Sets the scalar at {@code path}, creating missing mappings; false when a parent is not a mapping. */
    boolean set(List<String> path, String value) {
        MappingNode parent = mapping(path.subList(0, path.size() - 1));
        if (parent == null) {
            return false;
        }
        String key = path.get(path.size() - 1);
        for (NodeTuple tuple : parent.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                if (tuple.getValueNode() instanceof ScalarNode v) {
                    // keep the user's node (its comments), only its text changes
                    parent.getValue().set(parent.getValue().indexOf(tuple), new NodeTuple(k, scalarNode(value, v)));
                    return true;
                }
                return false;
            }
        }
        parent.getValue().add(new NodeTuple(scalarNode(key, null), scalarNode(value, null)));
        return true;
    }

    /** Appends a mapping of strings to the sequence at {@code path}, creating it; false when it is something else. */
    boolean append(List<String> path, Map<String, String> item) {
        MappingNode parent = mapping(path.subList(0, path.size() - 1));
        if (parent == null) {
            return false;
        }
        String key = path.get(path.size() - 1);
        Node existing = value(parent, key);
        if (existing != null && !(existing instanceof SequenceNode)) {
            return false;
        }
        SequenceNode sequence = (SequenceNode) existing;
        if (sequence == null) {
            sequence = new SequenceNode(Tag.SEQ, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
            parent.getValue().add(new NodeTuple(scalarNode(key, null), sequence));
        }
        List<NodeTuple> fields = new ArrayList<>();
        item.forEach((k, v) -> fields.add(new NodeTuple(scalarNode(k, null), scalarNode(v, null))));
        sequence.getValue().add(new MappingNode(Tag.MAP, fields, DumperOptions.FlowStyle.BLOCK));
        return true;
    }

    /** The document as YAML text. */
    String dump() {
        java.io.StringWriter out = new java.io.StringWriter();
        yaml().serialize(root, out);
        return out.toString();
    }

    private Node at(List<String> path) {
        Node node = root;
        for (String key : path) {
            if (!(node instanceof MappingNode mapping)) {
                return null;
            }
            node = value(mapping, key);
        }
        return node;
    }

    // The mapping at path, created where missing; null when something on the way is not a mapping.
    private MappingNode mapping(List<String> path) {
        MappingNode node = root;
        for (String key : path) {
            Node child = value(node, key);
            if (child == null) {
                MappingNode fresh = new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
                node.getValue().add(new NodeTuple(scalarNode(key, null), fresh));
                child = fresh;
            }
            if (!(child instanceof MappingNode mapping)) {
                return null;
            }
            node = mapping;
        }
        return node;
    }

    private static Node value(MappingNode mapping, String key) {
        for (NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return tuple.getValueNode();
            }
        }
        return null;
    }

    private static ScalarNode scalarNode(String value, ScalarNode like) {
        boolean plain =
                PLAIN.matcher(value).matches() && !KEYWORD.matcher(value).matches();
        ScalarNode node = new ScalarNode(
                Tag.STR,
                value,
                null,
                null,
                plain ? DumperOptions.ScalarStyle.PLAIN : DumperOptions.ScalarStyle.DOUBLE_QUOTED);
        if (like != null) {
            node.setBlockComments(like.getBlockComments());
            node.setInLineComments(like.getInLineComments());
            node.setEndComments(like.getEndComments());
        }
        return node;
    }

    private static Yaml yaml() {
        LoaderOptions load = new LoaderOptions();
        load.setProcessComments(true);
        load.setAllowDuplicateKeys(false);
        DumperOptions dump = new DumperOptions();
        dump.setProcessComments(true);
        dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dump.setIndent(2);
        dump.setIndicatorIndent(2);
        dump.setIndentWithIndicator(true);
        dump.setWidth(Integer.MAX_VALUE);
        return new Yaml(
                new org.yaml.snakeyaml.constructor.SafeConstructor(load),
                new org.yaml.snakeyaml.representer.Representer(dump),
                dump,
                load);
    }
}
