package hotcode.cluster.impl;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ManagedService;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.function.BiConsumer;

/**
 * The ConfigAdmin side, in a class of its own so that the activator loads without the (optional) ConfigAdmin API:
 * registering it fails with NoClassDefFoundError when org.osgi.service.cm is not wired.
 */
final class ManagedConfig {
    private ManagedConfig() {
    }

    static boolean register(BundleContext context, BiConsumer<Dictionary<String, ?>, BundleContext> updated) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, ClusterConfig.PID);
        ManagedService s = d -> updated.accept(d, context);
        context.registerService(ManagedService.class, s, props);
        return true;
    }
}
