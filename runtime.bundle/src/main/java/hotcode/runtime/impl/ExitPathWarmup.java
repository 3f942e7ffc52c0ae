package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.impl.code.CodeServerImpl;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.process.Proc;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs the purge path once at start, on an internal module, so that the JIT compiles it before a real purge needs it.
 *
 * <p>Why: a killed process unwinds by an {@code ExitException} through the trampoline, the router and the module's
 * frames. If those methods were compiled before any process had been killed, the JIT left their exception paths out,
 * and the first purge then deoptimizes every victim's frames one by one (seen in the benchmark: 10,000 victims, tens
 * of thousands of deoptimizations, a purge twice as slow). Here a few thousand processes loop through qualified tail
 * calls (so the path gets hot and profiled) and park, and are then purged: the profiles record the exceptions, and
 * later compilations keep the exception paths. {@code hotcode.warmup=false} skips it.
 */
public final class ExitPathWarmup {
    /** The internal module; the code server does not log its loads and purges. */
    public static final String MODULE = "hotcode_warmup";
    private static final int PROCESSES = 2_000;
    private static final int STEPS = 2;

    private ExitPathWarmup() {
    }

    // ------------------------------------------------------------------ API

    public static void run(Kernel kernel) {
        CodeServerImpl code = kernel.code();
        code.load(new ModuleSource(ModuleHeader.parse(MODULE + ";class=" + ExitPathWarmup.class.getName(), "the runtime"),
                "hotcode.runtime.warmup", "0.0.0", -1, "hotcode:warmup", new Object(), new Object(),
                ExitPathWarmup.class.getClassLoader()));
        List<Proc> procs = new ArrayList<>(PROCESSES);
        for (int i = 0; i < PROCESSES; i++) {
            procs.add((Proc) kernel.spawn(MODULE, "step", new Object[] {STEPS}, false));
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (Proc p : procs) {
            while (p.state() != Proc.State.WAITING && p.isAlive() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000); // leave the cores to the processes
            }
        }
        code.uninstalled(MODULE, -1); // its "bundle" goes: delete, and the purge below forgets the module
        code.purge(MODULE);
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
