package io.sourceipguard.admission;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The fields of one JSON object of a review, in the order they were read, as Jackson's
 * {@code ObjectNode} keeps them. Most objects of a Kubernetes manifest have a handful of fields,
 * so while small they are two arrays scanned in order (field names read by Jackson are interned,
 * so a lookup by a constant usually matches on identity): no entry object per field, no hash
 * table per object. Past {@link #SMALL} fields (a ConfigMap's data, many labels) it becomes a
 * {@link LinkedHashMap}, so no object costs more than linear time per lookup.
 */
final class FieldMap extends AbstractMap<String, JsonNode> {

    static final int SMALL = 8;

    private String[] keys = new String[4];
    private JsonNode[] values = new JsonNode[4];
    private int size;
    private Map<String, JsonNode> large;

    @Override
    public int size() {
        return large != null ? large.size() : size;
    }

    @Override
    public JsonNode get(Object key) {
        if (large != null) {
            return large.get(key);
        }
        int i = indexOf(key);
        return i < 0 ? null : values[i];
    }

    @Override
    public boolean containsKey(Object key) {
        return large != null ? large.containsKey(key) : indexOf(key) >= 0;
    }

    @Override
    public JsonNode put(String key, JsonNode value) {
        if (large != null) {
            return large.put(key, value);
        }
        int i = indexOf(key);
        if (i >= 0) {
            JsonNode old = values[i];
            values[i] = value;
            return old;
        }
        if (size == SMALL) {
            large = new LinkedHashMap<>(SMALL * 4);
            for (int j = 0; j < size; j++) {
                large.put(keys[j], values[j]);
            }
            keys = null;
            values = null;
            size = 0;
            return large.put(key, value);
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, SMALL);
            values = Arrays.copyOf(values, SMALL);
        }
        keys[size] = key;
        values[size] = value;
        size++;
        return null;
    }

    @Override
    public JsonNode remove(Object key) {
        if (large != null) {
            return large.remove(key);
        }
        int i = indexOf(key);
        if (i < 0) {
            return null;
        }
        JsonNode old = values[i];
        removeAt(i);
        return old;
    }

    @Override
    public void clear() {
        large = null;
        keys = new String[4];
        values = new JsonNode[4];
        size = 0;
    }

    @Override
    public Set<Map.Entry<String, JsonNode>> entrySet() {
        return large != null ? large.entrySet() : new Entries();
    }

    private int indexOf(Object key) {
        for (int i = 0; i < size; i++) {
            if (keys[i] == key) {
                return i;
            }
        }
        if (key instanceof String) {
            for (int i = 0; i < size; i++) {
                if (keys[i].equals(key)) {
                    return i;
                }
            }
        }
        return -1;
    }

    private void removeAt(int i) {
        int after = size - i - 1;
        System.arraycopy(keys, i + 1, keys, i, after);
        System.arraycopy(values, i + 1, values, i, after);
        size--;
        keys[size] = null;
        values[size] = null;
    }

    /** The small form's entries; an entry writes through to the map, as a LinkedHashMap's does. */
    private final class Entries extends AbstractSet<Map.Entry<String, JsonNode>> {
        @Override
        public int size() {
            return FieldMap.this.size();
        }

        @Override
        public Iterator<Map.Entry<String, JsonNode>> iterator() {
            return new Iterator<>() {
                private int next;
                private int last = -1;

                @Override
                public boolean hasNext() {
                    return large == null && next < size;
                }

                @Override
                public Map.Entry<String, JsonNode> next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    last = next++;
                    return new Field(keys[last]);
                }

                @Override
                public void remove() {
                    if (last < 0 || large != null) {
                        throw new IllegalStateException();
                    }
                    removeAt(last);
                    next = last;
                    last = -1;
                }
            };
        }
    }

    /** One field, looked up by name on each access, so it stays right after an earlier field is removed. */
    private final class Field implements Map.Entry<String, JsonNode> {
        private final String key;

        Field(String key) {
            this.key = key;
        }

        @Override
        public String getKey() {
            return key;
        }

        @Override
        public JsonNode getValue() {
            return get(key);
        }

        @Override
        public JsonNode setValue(JsonNode value) {
            return put(key, value);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Map.Entry<?, ?> e
                    && key.equals(e.getKey())
                    && java.util.Objects.equals(getValue(), e.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ java.util.Objects.hashCode(getValue());
        }

        @Override
        public String toString() {
            return key + "=" + getValue();
        }
    }
}
