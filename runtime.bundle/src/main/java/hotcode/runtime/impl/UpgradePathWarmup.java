package hotcode.runtime.impl;

import hotcode.runtime.api.From;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.log.Log;

import java.util.function.BooleanSupplier;

/**
 * Runs the upgrade of servers a few times at start, on an internal module, so that the JIT has compiled it before a
 * real upgrade needs it. Upgrades are rare in a long-lived service: without this, the first one (and each one after
 * the code cache has moved on) would run the claim, migrate, state check and commit paths in the interpreter, several
 * times slower. Two thousand servers are upgraded {@value #ROUNDS} times (the same class loaded as new versions), then
 * the module is deleted and purged. {@link Warmups} runs it; {@code hotcode.warmup=false} skips it.
 */
public final class UpgradePathWarmup {
    /** The internal module: a name with a dot, which no module header can declare. */
    public static final String MODULE = "hotcode.warmup.servers";
    private static final long BUNDLE_ID = -2;
    private static final int SERVERS = 2_000;
    private static final int ROUNDS = 3;

    private UpgradePathWarmup() {
    }

    // ------------------------------------------------------------------ API

    public static void run(Kernel kernel) {
        run(kernel, () -> false);
    }

    /** Runs the warm-up; once {@code cancelled} is true it starts nothing more, and it always purges its module. */
    public static void run(Kernel kernel, BooleanSupplier cancelled) {
        CodeServerImpl code = kernel.code();
        PurgeResult purged;
        try {
            for (int round = 0; round <= ROUNDS && !cancelled.getAsBoolean(); round++) {
                code.load(ModuleSource.internal(MODULE, UpgradePathWarmup.class, round + ".0.0", BUNDLE_ID));
                for (int i = 0; round == 0 && i < SERVERS && !cancelled.getAsBoolean(); i++) {
                    // by module name: the runtime's classes belong to no module (Crossing.ownerOf)
                    kernel.servers().start(null, MODULE, Counter.class.getName(), i, false);
                }
            }
        } finally {
            code.uninstalled(MODULE, BUNDLE_ID); // its "bundle" goes: purges the previous version, deletes the current one
            purged = code.purge(MODULE); // kills the servers (they run the deleted version); the module is forgotten
        }
        if (!purged.blockers().isEmpty()) {
            Log.warn("the upgrade warm-up left " + purged.blockers().size() + " processes behind");
        }
    }

    // ------------------------------------------------------------------ the internal module's server

    /** A server whose state is a record, migrated with {@link Records#convert} as a module's codeChange would. */
    public static final class Counter implements Server<Counter.State> {
        /** The state. */
        public record State(int n, java.util.List<String> log) {
        }

        @Override
        public State init(Object arg) {
            return new State((Integer) arg, java.util.List.of());
        }

        @Override
        public Reply<State> handleCall(Object request, From from, State s) {
            return Reply.reply(s.n(), s);
        }

        @Override
        public Object codeChange(String oldVersion, Object oldState, Object extra) {
            return Records.convert(oldState, State.class);
        }
    }
}
