package hotcode.runtime.spi;

import hotcode.runtime.api.HotcodeException;

/**
 * Where the API finds the implementation, after the JDK's {@code SharedSecrets}: the runtime installs its
 * {@link RuntimeAccess} when it starts and its processes enter themselves as their thread's current process, so the
 * exported package depends on this private one only, never on a class of the implementation. The package is not
 * exported: module bundles cannot see it.
 *
 * <p>Both lookups are on the message hot path ({@code Hotcode.send}, {@code receive}, {@code self}): one volatile
 * read or one thread-local read, then one interface call with a single implementation, which the JIT inlines.
 */
public final class Access {
    private static volatile RuntimeAccess runtime;
    private static final ThreadLocal<ProcessAccess> CURRENT = new ThreadLocal<>();

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
        ProcessAccess p = CURRENT.get();
        if (p == null) {
            throw new HotcodeException(operation + " must be called from a Hotcode process, not from thread "
                    + Thread.currentThread().getName() + " (spawn a process first)");
        }
        return p;
    }

    /** The calling process, or null on a thread that is not one. */
    public static ProcessAccess currentOrNull() {
        return CURRENT.get();
    }

    /** Called by a process on its own thread when it starts: it is now the thread's current process. */
    public static void enter(ProcessAccess p) {
        CURRENT.set(p);
    }

    /** Called by a process on its own thread when it has terminated. */
    public static void leave() {
        CURRENT.remove();
    }
}
