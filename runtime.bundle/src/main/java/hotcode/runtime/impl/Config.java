package hotcode.runtime.impl;

import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.IdleCarriers;
import hotcode.runtime.impl.process.ReceiveSpin;
import hotcode.runtime.impl.process.StackCheck;
import hotcode.runtime.impl.process.SystemMonitor;

import java.util.Locale;
import java.util.function.Function;

/**
 * Every setting of the runtime, in one place: read from the framework properties when the runtime bundle starts
 * (Felix falls back to the system properties), or from the system properties outside OSGi, and updated through
 * ConfigAdmin (PID {@code hotcode.runtime}, {@link RuntimeConfiguration}; {@link #update}). A value that cannot be used
 * is reported by a warning naming the property, the value and the allowed range, and the default (at start) or the
 * previous value (in an update) is used instead.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>property</th><th>default</th><th>what</th></tr>
 * <tr><td>{@code hotcode.purge.timeout.ms}</td><td>5000</td><td>how long a purge waits for the processes it killed
 *     before it names them and goes on (also the stop of the runtime)</td></tr>
 * <tr><td>{@code hotcode.migration.timeout.ms}</td><td>5000</td><td>how long an upgrade waits for every server of the
 *     module to reach its safe point and migrate its state before it rolls back</td></tr>
 * <tr><td>{@code hotcode.monitor.interval.ms}</td><td>250</td><td>between two samples of the system monitor
 *     (0: no sampling)</td></tr>
 * <tr><td>{@code hotcode.monitor.long_schedule.ms}</td><td>1000</td><td>a process running that long without
 *     returning to the runtime is reported (0: not checked)</td></tr>
 * <tr><td>{@code hotcode.monitor.long_message_queue}</td><td>100000</td><td>a mailbox that long is reported
 *     (0: not checked)</td></tr>
 * <tr><td>{@code hotcode.receive.spin.ns}</td><td>2000</td><td>how long a receive that finds nothing polls its
 *     mailbox, on its carrier, before it parks (0: it parks at once; at most 100000);
 *     {@code hotcode.receive.spins}, the yield-spin of earlier versions, is no longer read and is warned about</td></tr>
 * <tr><td>{@code hotcode.purge.check.ms}</td><td>1000</td><td>how long purges and {@code checkProcessCode} wait
 *     for busy processes to walk their stacks for funs of the old version (0: frames only)</td></tr>
 * <tr><td>{@code hotcode.log.stacktraces}</td><td>false</td><td>print the stack trace of each logged error</td></tr>
 * <tr><td>{@code hotcode.warmup}</td><td>background</td><td>the start-up warm-ups ({@link Warmups}):
 *     {@code background} (or {@code true}), {@code inline} (in the bundle's start, after the runtime is published:
 *     for benchmarks that must not run beside them) or {@code false}</td></tr>
 * <tr><td>{@code hotcode.load.preload.classes}</td><td>512</td><td>how many classes a load loads ahead, before
 *     the new version becomes current, so its first steps do not resolve them at the switch (0: none, classes load
 *     when the code first names them)</td></tr>
 * <tr><td>{@code hotcode.idle.spin.us}</td><td>50</td><td>how long a carrier with no process to run keeps looking
 *     for one before it sleeps, counted from the last time a message woke a parked process ({@link IdleCarriers};
 *     0: it sleeps at once, as the JDK's scheduler does; at most 10000)</td></tr>
 * </table>
 *
 * <p>{@code hotcode.receive.spin.ns} is a constant on the message path: {@code Proc} reads it from {@link #current()}
 * once, when its class initializes (the runtime installs its configuration before it makes any process), so it
 * changes only with a new runtime bundle class loader; {@code hotcode.warmup} counts only at start. Every other
 * setting is taken at once by an update: {@link #install} tells the log and the stack check, and
 * {@link Kernel#reconfigure} the purger, the server upgrades and the system monitor.
 */
public record Config(long purgeTimeoutMillis, long migrationTimeoutMillis, SystemMonitor.Settings monitor,
                     int receiveSpinNanos, long purgeCheckMillis, boolean logStacktraces, Warmup warmup,
                     int preloadClasses, int idleSpinMicros) {
    /** When the start-up warm-ups run. */
    public enum Warmup {
        /** On a thread of their own, once the runtime is up: the bundle's start does not wait for them. */
        BACKGROUND,
        /** In the bundle's start, after the runtime is published: the start returns once they are done. */
        INLINE,
        /** Not at all. */
        OFF
    }

    /** The defaults: what an empty configuration gives. */
    public static final Config DEFAULTS = new Config(5000, 5000, SystemMonitor.Settings.DEFAULTS, 2000, 1000, false,
            Warmup.BACKGROUND, 512, 50);

    /** Without a preload limit and an idle window: the configuration of earlier tests (512 classes, 50 us). */
    public Config(long purgeTimeoutMillis, long migrationTimeoutMillis, SystemMonitor.Settings monitor,
                  int receiveSpinNanos, long purgeCheckMillis, boolean logStacktraces, Warmup warmup) {
        this(purgeTimeoutMillis, migrationTimeoutMillis, monitor, receiveSpinNanos, purgeCheckMillis, logStacktraces,
                warmup, 512, 50);
    }

    /** The setting of the receive's yield-spin before 2026-12: warned about, never read. */
    static final String RETIRED_SPINS = "hotcode.receive.spins";

    private static volatile Config installed;

    /** Reads every setting through {@code property} (a property's value, or null when it is not set). */
    public static Config read(Function<String, String> property) {
        return read(property, DEFAULTS, DEFAULTS, "using the default,");
    }

    /**
     * A configuration update (ConfigAdmin's {@code hotcode.runtime}): every setting through {@code property}; one it
     * does not set takes {@code base}'s value (the framework properties'), one it sets to a value that cannot be used
     * keeps {@code previous}'s, with a warning naming the key, the value and the allowed range.
     */
    public static Config update(Config base, Config previous, Function<String, String> property) {
        return read(property, base, previous, "keeping the previous value,");
    }

    private static Config read(Function<String, String> property, Config absent, Config bad, String keep) {
        SystemMonitor.Settings ma = absent.monitor();
        SystemMonitor.Settings mb = bad.monitor();
        String retired = property.apply(RETIRED_SPINS);
        if (retired != null) {
            // Our own docs once advised setting it to 0: say what replaced it rather than ignore it silently.
            Log.warn(RETIRED_SPINS + "=" + retired + " is no longer read: the receive's yield-spin it bounded was unfair"
                    + " to busy servers; the receive now polls its mailbox for hotcode.receive.spin.ns nanoseconds"
                    + " before it parks (default 2000, 0 parks at once)");
        }
        return new Config(
                number(property, "hotcode.purge.timeout.ms", absent.purgeTimeoutMillis(), bad.purgeTimeoutMillis(),
                        "milliseconds", Long.MAX_VALUE, keep),
                number(property, "hotcode.migration.timeout.ms", absent.migrationTimeoutMillis(),
                        bad.migrationTimeoutMillis(), "milliseconds", Long.MAX_VALUE, keep),
                new SystemMonitor.Settings(
                        number(property, "hotcode.monitor.interval.ms", ma.intervalMillis(), mb.intervalMillis(),
                                "milliseconds", Long.MAX_VALUE, keep),
                        number(property, "hotcode.monitor.long_schedule.ms", ma.longScheduleMillis(),
                                mb.longScheduleMillis(), "milliseconds", Long.MAX_VALUE, keep),
                        (int) number(property, "hotcode.monitor.long_message_queue", ma.longMessageQueue(),
                                mb.longMessageQueue(), "messages", Integer.MAX_VALUE, keep)),
                (int) number(property, "hotcode.receive.spin.ns", absent.receiveSpinNanos(), bad.receiveSpinNanos(),
                        "nanoseconds", ReceiveSpin.MAX_NANOS, keep),
                number(property, "hotcode.purge.check.ms", absent.purgeCheckMillis(), bad.purgeCheckMillis(),
                        "milliseconds", Long.MAX_VALUE, keep),
                bool(property, "hotcode.log.stacktraces", absent.logStacktraces(), bad.logStacktraces(), keep),
                warmup(property, "hotcode.warmup", absent.warmup(), bad.warmup(), keep),
                (int) number(property, "hotcode.load.preload.classes", absent.preloadClasses(),
                        bad.preloadClasses(), "classes", 65_536, keep),
                (int) number(property, "hotcode.idle.spin.us", absent.idleSpinMicros(), bad.idleSpinMicros(),
                        "microseconds", IdleCarriers.MAX_MICROS, keep));
    }

    /** The configuration of the running runtime, or, when none is installed (outside OSGi), the system properties'. */
    public static Config current() {
        Config c = installed;
        return c != null ? c : SystemProperties.CONFIG;
    }

    /** Makes {@code c} the {@link #current()} configuration: the activator does, before it makes the kernel. */
    public static void install(Config c) {
        installed = c;
        Log.stacktraces(c.logStacktraces()); // the log and the processes are told, they never ask
        ReceiveSpin.nanos(c.receiveSpinNanos());
        StackCheck.bound(c.purgeCheckMillis());
        hotcode.runtime.impl.osgi.ClassPreloader.warmLimit(c.preloadClasses());
    }

    public static void uninstall(Config c) {
        if (installed == c) {
            installed = null;
        }
    }

    // ------------------------------------------------------------------ internals

    /** Read on first use, so a test or a plain JVM pays (and warns) only if it needs it. */
    private static final class SystemProperties {
        static final Config CONFIG = read(System::getProperty);
    }

    private static long number(Function<String, String> property, String key, long absent, long fallback,
                               String unit, long max, String keep) {
        String v = property.apply(key);
        if (v == null) {
            return absent;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return bad(key, v, "a number of " + unit + " from 0 to " + max, fallback, keep);
    }

    private static boolean bool(Function<String, String> property, String key, boolean absent, boolean fallback,
                                String keep) {
        String v = property.apply(key);
        if (v == null) {
            return absent;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> bad(key, v, "true or false", fallback, keep);
        };
    }

    private static Warmup warmup(Function<String, String> property, String key, Warmup absent, Warmup fallback,
                                 String keep) {
        String v = property.apply(key);
        if (v == null) {
            return absent;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "background", "true" -> Warmup.BACKGROUND;
            case "inline" -> Warmup.INLINE;
            case "false" -> Warmup.OFF;
            default -> bad(key, v, "background, inline or false", fallback, keep);
        };
    }

    private static <T> T bad(String key, String value, String expected, T fallback, String keep) {
        Log.warn(key + "=" + value + " is not " + expected + "; " + keep + " "
                + fallback.toString().toLowerCase(Locale.ROOT));
        return fallback;
    }
}
