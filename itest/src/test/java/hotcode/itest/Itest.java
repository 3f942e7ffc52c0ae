package hotcode.itest;

import java.util.List;
import java.util.function.BooleanSupplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.BundleRevisions;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.testing.Await;
import hotcode.testing.Modules;

/**
 * Helpers shared by the integration tests; they run inside the framework (in the probe bundle). The general ones
 * delegate to the test kit ({@code hotcode.testing}: {@link Modules}, {@link Await}), which module authors use too.
 */
public final class Itest {
    /**
     * Every wait of the tests gives up after this long (a failure, never a sleep that decides anything): the kit's
     * default ({@link Await#timeoutSeconds()} reads it unless {@code -Dhotcode.testing.timeout} says otherwise).
     */
    public static final long TIMEOUT_SECONDS = Await.DEFAULT_TIMEOUT_SECONDS;

    private Itest() {
    }

    /** The probe's bundle context. */
    public static BundleContext context() {
        return FrameworkUtil.getBundle(Itest.class).getBundleContext();
    }

    public static Bundle bundle(String symbolicName) {
        return Modules.bundle(symbolicName);
    }

    public static CodeServer code() {
        return Modules.code();
    }

    public static ModuleInfo which(String module) {
        return Modules.which(module);
    }

    /** The current version's bundle version, e.g. "1.0.0". */
    public static String currentVersion(String module) {
        return Modules.currentVersion(module);
    }

    /** Refreshes {@code bundles} (FrameworkWiring.refreshBundles) and waits for PACKAGES_REFRESHED. */
    public static void refresh(Bundle... bundles) throws InterruptedException {
        Modules.refresh(bundles);
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
        Await.until(what, condition);
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
        Await.exit(pid);
    }
}
