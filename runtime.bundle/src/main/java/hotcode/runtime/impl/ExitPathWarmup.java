package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Runs the purge path once at start, on an internal module, so that the JIT compiles it before a real purge needs it.
 *
 * <p>Why: a killed process unwinds by an {@code ExitException} through the trampoline, the router and the module's
 * frames. If those methods were compiled before any process had been killed, the JIT left their exception paths out,
 * and the first purge then deoptimizes every victim's frames one by one (seen in the benchmark: 10,000 victims, tens
 * of thousands of deoptimizations, a purge twice as slow). Here a few thousand processes loop through qualified tail
 * calls (so the path gets hot and profiled) and park, and are then purged: the profiles record the exceptions, and
 * later compilations keep the exception paths. {@link Warmups} runs it; {@code hotcode.warmup=false} skips it.
 */
public final class ExitPathWarmup {
    /** The internal module: a name with a dot, which no module header can declare. */
    public static final String MODULE = "hotcode.warmup.exit";
    private static final long BUNDLE_ID = -1;
    private static final int PROCESSES = 2_000;
    private static final int STEPS = 2;

    private ExitPathWarmup() {
    }

    // ------------------------------------------------------------------ API

    public static void run(Kernel kernel) {
        run(kernel, () -> false);
    }

    /** Runs the warm-up; once {@code cancelled} is true it starts nothing more, and it always purges its module. */
    public static void run(Kernel kernel, BooleanSupplier cancelled) {
        CodeServerImpl code = kernel.code();
        ModuleVersion v = code.load(ModuleSource.internal(MODULE, ExitPathWarmup.class, "0.0.0", BUNDLE_ID));
        try {
            List<Proc> procs = new ArrayList<>(PROCESSES);
            for (int i = 0; i < PROCESSES && !cancelled.getAsBoolean(); i++) {
                // spawned in the internal version (not by module name): that gives them internal pids from the start
                procs.add(kernel.processes().spawn(Next.call(MODULE, "step", STEPS), v, null));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            for (Proc p : procs) {
                while (p.state() != Proc.State.WAITING && p.isAlive() && System.nanoTime() < deadline
                        && !cancelled.getAsBoolean()) {
                    LockSupport.parkNanos(100_000); // leave the cores to the processes
                }
            }
        } finally {
            code.uninstalled(MODULE, BUNDLE_ID); // its "bundle" goes: delete, and the purge below forgets the module
            code.purge(MODULE);
        }
    }

    // ------------------------------------------------------------------ the internal module's function

    /** Loops {@code n} qualified tail calls, then waits in receive until the purge kills it. */
    public static Next step(int n) {
        if (n > 0) {
            return Next.call(MODULE, "step", n - 1);
        }
        Hotcode.receive();
        return Next.done();
    }
}
