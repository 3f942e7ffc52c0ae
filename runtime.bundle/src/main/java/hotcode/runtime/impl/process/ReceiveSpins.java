package hotcode.runtime.impl.process;

/**
 * The ceiling of a receive's spin before it parks ({@code hotcode.receive.spins}), handed to this package by the
 * runtime's configuration ({@code impl.Config.install}) before the first process is made: {@link Proc} copies it
 * into a static final when it initializes, so the receive path reads a constant. The package is told, never asks:
 * the configuration's package depends on this one, not the other way round. Outside OSGi (unit tests, the JMH
 * benchmark) it is the system property's value.
 */
public final class ReceiveSpins {
    private static volatile int ceiling = Integer.getInteger("hotcode.receive.spins", 100);

    private ReceiveSpins() {
    }

    public static void set(int polls) {
        ceiling = Math.max(0, polls);
    }

    static int get() {
        return ceiling;
    }
}
