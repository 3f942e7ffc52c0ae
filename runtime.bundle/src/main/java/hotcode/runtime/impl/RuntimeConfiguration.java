package hotcode.runtime.impl;

import hotcode.runtime.impl.log.Log;
import org.osgi.framework.BundleContext;

import java.util.Dictionary;
import java.util.function.Consumer;

/**
 * The runtime's configuration through ConfigAdmin: a {@code ManagedService} for the PID {@value #PID}, whose keys
 * are {@link Config}'s property names (described for tools by {@code OSGI-INF/metatype/hotcode.runtime.xml}). A key
 * the configuration does not set takes the framework property's value (or the default); a value that cannot be used
 * is refused with a warning naming the key and the allowed range, and the previous value stays. Deleting the
 * configuration goes back to the framework properties.
 *
 * <p>ConfigAdmin is optional ({@code org.osgi.service.cm} is imported with {@code resolution:=optional}): this class
 * names none of its types, and {@link ManagedRuntimeConfiguration}, which does, is loaded only once {@link #register}
 * has found the package wired, so the runtime runs with its framework properties without it.
 */
final class RuntimeConfiguration {
    /** The configuration's persistent identity: {@code hotcode.runtime.cfg} in a FileInstall or Karaf etc folder. */
    static final String PID = "hotcode.runtime";

    private final Config base;
    private final Consumer<Config> apply;
    private Config current;

    RuntimeConfiguration(Config base, Consumer<Config> apply) {
        this.base = base;
        this.current = base;
        this.apply = apply;
    }

    /**
     * Registers the managed service when ConfigAdmin's API is there; returns what unregisters it, or null without it.
     * {@code base} is the configuration read from the framework properties at start, {@code apply} is told of each
     * new configuration (on ConfigAdmin's thread, one at a time).
     */
    static AutoCloseable register(BundleContext context, Config base, Consumer<Config> apply) {
        try {
            Class.forName("org.osgi.service.cm.ManagedService", false, RuntimeConfiguration.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null; // no ConfigAdmin API wired: the framework properties are the configuration
        }
        return ManagedRuntimeConfiguration.register(context, new RuntimeConfiguration(base, apply));
    }

    /** Reads {@code properties} ({@code null}: no configuration, or deleted) into a {@link Config} and applies it. */
    synchronized void updated(Dictionary<String, ?> properties) {
        Config next = properties == null ? base : Config.update(base, current, key -> {
            Object v = properties.get(key);
            return v == null ? null : String.valueOf(v); // a typed value (Long, Boolean) reads as its text
        });
        if (next.receiveSpinNanos() != current.receiveSpinNanos()) {
            Log.warn(PID + ": hotcode.receive.spin.ns=" + next.receiveSpinNanos() + " takes effect only when the"
                    + " runtime bundle restarts (the receive path reads it once); now " + current.receiveSpinNanos());
        }
        if (next.warmup() != current.warmup()) {
            Log.info(PID + ": hotcode.warmup=" + next.warmup().toString().toLowerCase(java.util.Locale.ROOT)
                    + " counts only at the runtime bundle's next start");
        }
        if (!next.equals(current)) {
            current = next;
            apply.accept(next);
        }
    }

    /** The configuration last applied (tests). */
    synchronized Config current() {
        return current;
    }
}
