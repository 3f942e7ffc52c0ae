package hotcode.runtime.impl;

import hotcode.runtime.impl.log.Log;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs the start-up warm-ups ({@link ExitPathWarmup}, {@link UpgradePathWarmup}) as {@code hotcode.warmup} says
 * ({@link Config.Warmup}): by default on a thread of their own once the runtime is up, so the bundle's start does not
 * wait for them (1.7 to 3.2 s on a loaded 2-core machine).
 *
 * <p>Why they can run beside real work: each warm-up loads an internal module ({@code ModuleSource.internal()}) under
 * a name no module header can declare, so it never meets a user module; the code server does not list or log
 * internal modules, and their processes take pids of their own (below zero) that {@code hotcode:ps} and
 * {@code Hotcode.processes()} do not show. They take CPU while they run, as any work would.
 */
final class Warmups implements AutoCloseable {
    /** One warm-up: works on {@code kernel} until done, or until {@code cancelled} says the runtime is stopping. */
    interface Step {
        void run(Kernel kernel, BooleanSupplier cancelled);
    }

    /** The runtime's warm-ups, in the order they run. */
    static final List<Step> STEPS = List.of(ExitPathWarmup::run, UpgradePathWarmup::run);
    /** How long the runtime's stop waits for a cancelled warm-up to clean up (its purge has a bound of its own). */
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    private final Kernel kernel;
    private final List<Step> steps;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean cancelled;
    private Thread thread;

    private Warmups(Kernel kernel, List<Step> steps) {
        this.kernel = kernel;
        this.steps = steps;
    }

    /** Runs {@code steps} as {@code mode} says: returns at once unless the mode is {@link Config.Warmup#INLINE}. */
    static Warmups start(Kernel kernel, Config.Warmup mode, List<Step> steps) {
        Warmups w = new Warmups(kernel, steps);
        switch (mode) {
            case BACKGROUND -> w.thread = Thread.ofPlatform().daemon().name("hotcode-warmup").start(w::runAll);
            case INLINE -> w.runAll();
            case OFF -> w.done.countDown();
        }
        return w;
    }

    /** Waits until the warm-ups are done (or were cancelled); false if they are still running after {@code millis}. */
    boolean await(long millis) throws InterruptedException {
        return done.await(millis, TimeUnit.MILLISECONDS);
    }

    /**
     * Cancels the warm-ups (the runtime is stopping) and waits for them to clean up: after this no warm-up loads a
     * module or starts a process.
     */
    @Override
    public void close() throws InterruptedException {
        cancelled = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread() && !await(CLOSE_WAIT_MILLIS)) {
            Log.warn("the start-up warm-up (thread " + t.getName() + ") still runs " + CLOSE_WAIT_MILLIS
                    + " ms after the runtime began to stop");
        }
    }

    private void runAll() {
        try {
            for (Step s : steps) {
                if (cancelled) {
                    break;
                }
                s.run(kernel, () -> cancelled);
            }
        } catch (RuntimeException | Error e) {
            if (!cancelled) { // a warm-up cut short by the runtime's stop may fail on its way out: nothing to report
                Log.error("a start-up warm-up failed (the runtime works without it; hotcode.warmup=false turns them off): "
                        + e, e);
            }
        } finally {
            done.countDown();
        }
    }
}
