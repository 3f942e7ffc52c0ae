package hotcode.runtime.spi;

import hotcode.runtime.api.HotcodeException;

/**
 * Where the API finds the implementation, after the JDK's {@code SharedSecrets}: the runtime installs its
 * {@link RuntimeAccess} when it starts and its processes enter themselves as their thread's current process, so the
 * exported package depends on this private one only, never on a class of the implementation. The package is not
 * exported: module bundles cannot see it.
 *
 * <p>Both lookups are on the message hot path ({@code Hotcode.send}, {@code receive}, {@code self}): one volatile
 * read, or a read of the thread's uncaught-exception handler (below), then one interface call with a single
 * implementation, which the JIT inlines.
 *
 * <p><b>Why the process is its thread's uncaught-exception handler, not a {@code ThreadLocal}.</b> A thread-local's
 * first {@code set} gives the thread a {@code ThreadLocalMap} (the map, its 16-slot table and an entry: 136 bytes),
 * and a waiting process is little more than its virtual thread, so that map was a tenth of every waiting process
 * (docs/BENCHMARKS.md, issue 16). The handler is a field every {@code Thread} already has, and a process needs one
 * anyway: it reports a throwable that escapes its own clean-up. A thread that is not a process answers its thread
 * group (or its own handler), which is not a {@link ProcessAccess}; a terminated thread answers null. Code that
 * replaces a process thread's handler detaches the thread from its process (as {@code ThreadLocal.remove} would have).
 */
public final class Access {
    private static volatile RuntimeAccess runtime;

    private Access() {
    }

    // ------------------------------------------------------------------ the runtime

    /** The running runtime; fails when none is installed (the runtime bundle is not active). */
    public static RuntimeAccess get() {
        RuntimeAccess r = runtime;
        if (r == null) {
            throw new HotcodeException("the Hotcode runtime (bundle hotcode.runtime) is not running");
        }
        return r;
    }

    /** Makes {@code r} the running runtime (the activator on start; a test's runtime). */
    public static void install(RuntimeAccess r) {
        runtime = r;
    }

    /** Removes {@code r} if it is the one installed: a runtime stopping late must not remove its successor. */
    public static void uninstall(RuntimeAccess r) {
        if (runtime == r) {
            runtime = null;
        }
    }

    // ------------------------------------------------------------------ the calling process

    /** The calling process, or a clear error naming the operation when there is none. */
    public static ProcessAccess current(String operation) {
        ProcessAccess p = currentOrNull();
        if (p == null) {
            throw new HotcodeException(operation + " must be called from a Hotcode process, not from thread "
                    + Thread.currentThread().getName() + " (spawn a process first)");
        }
        return p;
    }

    /** The calling process, or null on a thread that is not one. */
    public static ProcessAccess currentOrNull() {
        return Thread.currentThread().getUncaughtExceptionHandler() instanceof ProcessAccess p ? p : null;
    }

    /**
     * Makes {@code p} the current process of {@code thread}, its own thread, before that thread starts (so that no
     * step of it runs outside the process), by making {@code p} the thread's uncaught-exception handler.
     */
    public static <P extends ProcessAccess & Thread.UncaughtExceptionHandler> void enter(Thread thread, P p) {
        thread.setUncaughtExceptionHandler(p);
    }

    /** Called by a process on its own thread when it has terminated: the thread is no process's any more. */
    public static void leave() {
        Thread.currentThread().setUncaughtExceptionHandler(null);
    }
}
