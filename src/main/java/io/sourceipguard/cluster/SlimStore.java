package io.sourceipguard.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.List;

/**
 * An informer store that keeps a slim copy of each object (only what the rules read) and the rules'
 * view of all of them, rebuilt once per change rather than on every admission.
 */
abstract class SlimStore<T extends HasMetadata, V> extends BasicItemStore<T> {

    private volatile List<V> snapshot;

    SlimStore() {
        super(Cache::metaNamespaceKeyFunc);
    }

    /** The copy to keep. */
    abstract T slim(T object);

    /** The rules' view of a kept copy; null leaves it out of the view. */
    abstract V view(T kept);

    @Override
    public T put(String key, T object) {
        snapshot = null;
        return super.put(key, slim(object));
    }

    @Override
    public T remove(String key) {
        snapshot = null;
        return super.remove(key);
    }

    /** Every kept object as the rules see it. */
    List<V> snapshot() {
        List<V> current = snapshot;
        if (current == null) {
            List<V> built = new ArrayList<>();
            values().forEach(object -> {
                V view = view(object);
                if (view != null) {
                    built.add(view);
                }
            });
            current = List.copyOf(built);
            snapshot = current;
        }
        return current;
    }
}
