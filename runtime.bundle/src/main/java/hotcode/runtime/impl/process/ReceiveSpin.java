package hotcode.runtime.impl.process;

/**
 * How long a receive that finds nothing polls its mailbox before it parks ({@code hotcode.receive.spin.ns}), handed
 * to this package by the runtime's configuration ({@code impl.Config.install}) before the first process is made:
 * {@link Proc} copies it into a static final when it initializes, so the receive path reads a constant. The package
 * is told, never asks: the configuration's package depends on this one, not the other way round. Outside OSGi (unit
 * tests, the JMH benchmark) it is the system property's value.
 */
public final class ReceiveSpin {
    /** The longest poll allowed: a process holds its carrier that long per receive at most. */
    public static final long MAX_NANOS = 100_000;
    private static volatile long nanos = clamp(Long.getLong("hotcode.receive.spin.ns", 2000));

    private ReceiveSpin() {
    }

    public static void nanos(long spin) {
        nanos = clamp(spin);
    }

    private static long clamp(long spin) {
        return Math.max(0, Math.min(MAX_NANOS, spin));
    }

    static long nanos() {
        return nanos;
    }
}
