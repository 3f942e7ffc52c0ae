package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.BundleRevisions;
import org.osgi.framework.wiring.FrameworkWiring;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;

/** Helpers shared by the integration tests; they run inside the framework (in the probe bundle). */
public final class Itest {
    /** Every wait of the tests gives up after this long (a failure, never a sleep that decides anything). */
    public static final long TIMEOUT_SECONDS = 20;

    private Itest() {
    }

    /** The probe's bundle context. */
    public static BundleContext context() {
        return FrameworkUtil.getBundle(Itest.class).getBundleContext();
    }

    public static Bundle bundle(String symbolicName) {
        for (Bundle b : context().getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed");
    }

    public static CodeServer code() {
        return Hotcode.codeServer();
    }

    public static ModuleInfo which(String module) {
        return code().which(module).orElseThrow(() -> new AssertionError("the code server does not know " + module));
    }

    /** The current version's bundle version, e.g. "1.0.0". */
    public static String currentVersion(String module) {
        return which(module).current().orElseThrow(() -> new AssertionError(module + " has no current version")).version();
    }

    /** Refreshes {@code bundles} (FrameworkWiring.refreshBundles) and waits for PACKAGES_REFRESHED. */
    public static void refresh(Bundle... bundles) throws InterruptedException {
        FrameworkWiring wiring = context().getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<FrameworkEvent> event = new AtomicReference<>();
        wiring.refreshBundles(List.of(bundles), e -> {
            event.set(e);
            done.countDown();
        });
        assertTrue("refresh did not finish within " + TIMEOUT_SECONDS + " s", done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        assertEquals("refresh ended with " + event.get() + " " + event.get().getThrowable(),
                FrameworkEvent.PACKAGES_REFRESHED, event.get().getType());
    }

    /**
     * Runs {@code action} and returns the framework ERROR events fired meanwhile (FrameworkEvents are delivered
     * asynchronously: callers wait for a later event, e.g. PACKAGES_REFRESHED, which Felix fires after them).
     */
    public static List<FrameworkEvent> frameworkErrorsDuring(Action action) throws Exception {
        List<FrameworkEvent> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.osgi.framework.FrameworkListener listener = e -> {
            if (e.getType() == FrameworkEvent.ERROR) {
                errors.add(e);
            }
        };
        context().addFrameworkListener(listener);
        try {
            action.run();
        } finally {
            context().removeFrameworkListener(listener);
        }
        return List.copyOf(errors);
    }

    public static String describe(List<FrameworkEvent> events) {
        StringBuilder sb = new StringBuilder();
        for (FrameworkEvent e : events) {
            sb.append("\n  ").append(e.getBundle() == null ? "?" : e.getBundle().getSymbolicName()).append(": ")
                    .append(e.getThrowable());
        }
        return sb.toString();
    }

    public static int revisions(Bundle b) {
        return b.adapt(BundleRevisions.class).getRevisions().size();
    }

    /** Waits until {@code condition} holds; fails naming {@code what} after {@link #TIMEOUT_SECONDS}. */
    public static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TIMEOUT_SECONDS + " s waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** What a test runs that may throw. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * JUnit 4.13's assertThrows: the framework's JUnit bundle (Pax Exam's junitBundles) is 4.12, which lacks it.
     */
    public static <T extends Throwable> T assertThrows(Class<T> expected, Action action) {
        try {
            action.run();
        } catch (Throwable t) {
            if (expected.isInstance(t)) {
                return expected.cast(t);
            }
            AssertionError e = new AssertionError("expected " + expected.getName() + " but got " + t);
            e.initCause(t);
            throw e;
        }
        throw new AssertionError("expected " + expected.getName() + " but nothing was thrown");
    }

    public static void awaitExit(Pid pid) throws InterruptedException {
        await(pid + " to exit", () -> !Hotcode.isAlive(pid));
    }
}
