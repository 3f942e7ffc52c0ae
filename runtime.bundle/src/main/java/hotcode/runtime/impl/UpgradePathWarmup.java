package hotcode.runtime.impl;

import hotcode.runtime.api.From;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.impl.code.CodeServerImpl;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleSource;

/**
 * Runs the upgrade of servers a few times at start, on an internal module, so that the JIT has compiled it before a
 * real upgrade needs it. Upgrades are rare in a long-lived service: without this, the first one (and each one after
 * the code cache has moved on) would run the claim, migrate, state check and commit paths in the interpreter, several
 * times slower. Two thousand servers are upgraded {@value #ROUNDS} times (the same class loaded as new versions), then
 * the module is deleted and purged. {@code hotcode.warmup=false} skips it.
 */
public final class UpgradePathWarmup {
    /** The internal module; the code server and the upgrader do not log it. */
    public static final String MODULE = "hotcode_warmup_servers";
    private static final int SERVERS = 2_000;
    private static final int ROUNDS = 3;

    private UpgradePathWarmup() {
    }

    // ------------------------------------------------------------------ API

    public static void run(Kernel kernel) {
        CodeServerImpl code = kernel.code();
        for (int round = 0; round <= ROUNDS; round++) {
            code.load(new ModuleSource(ModuleHeader.parse(MODULE + ";class=" + UpgradePathWarmup.class.getName(),
                    "the runtime"), "hotcode.runtime.warmup.servers", round + ".0.0", -2, "hotcode:warmup", new Object(),
                    new Object(), UpgradePathWarmup.class.getClassLoader()));
            if (round == 0) {
                for (int i = 0; i < SERVERS; i++) {
                    GenServer.start(Counter.class, i);
                }
            }
        }
        code.uninstalled(MODULE, -2); // its "bundle" goes: purges the previous version, deletes the current one
        code.purge(MODULE); // kills the servers (they run the deleted version); the code server forgets the module
        if (code.which(MODULE).isPresent() || kernel.processes().count() > 0) {
            Log.warn("the upgrade warm-up left " + kernel.processes().count() + " processes behind");
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
