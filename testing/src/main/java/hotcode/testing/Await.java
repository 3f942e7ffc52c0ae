package hotcode.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;

/**
 * Waits with a timeout, never sleeps that decide an outcome: a wait that runs out fails the test with an
 * {@link AssertionError} naming what it waited for. Called from test methods (inside the framework).
 *
 * <p>Every wait of the kit gives up after {@link #timeoutSeconds()}: 20 s, or the system property
 * {@value #TIMEOUT_PROPERTY} (seconds), e.g. on a slow CI machine.
 */
public final class Await {
    /** System property: how long every wait of the kit lasts before it fails, in seconds. */
    public static final String TIMEOUT_PROPERTY = "hotcode.testing.timeout";
    /** The default of {@link #timeoutSeconds()}. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 20;

    private Await() {
    }

    /** How long a wait lasts before it fails: {@value #TIMEOUT_PROPERTY}, else {@value #DEFAULT_TIMEOUT_SECONDS}. */
    public static long timeoutSeconds() {
        String s = System.getProperty(TIMEOUT_PROPERTY);
        if (s == null || s.isBlank()) {
            return DEFAULT_TIMEOUT_SECONDS;
        }
        try {
            long t = Long.parseLong(s.trim());
            if (t > 0) {
                return t;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + TIMEOUT_PROPERTY + "=" + s + " is not a number of seconds > 0");
    }

    /**
     * Waits until {@code condition} holds (polled every 10 ms); fails naming {@code what} after
     * {@link #timeoutSeconds()}.
     */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long timeout = timeoutSeconds();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " s waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /**
     * Waits until the process {@code pid} has exited ({@link Hotcode#isAlive} is false). To learn why it exited,
     * watch it with an {@link Inbox.Monitor} before it exits.
     */
    public static void exit(Pid pid) throws InterruptedException {
        until(pid + " to exit", () -> !Hotcode.isAlive(pid));
    }
}
