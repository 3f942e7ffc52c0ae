package hotcode.runtime.impl.server;

import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The servers' part of one module upgrade, as the upgrade transaction drives it: made by
 * {@link ServerUpgrades#suspendAndMigrate} with every server of the module suspended at its safe point and its
 * migrated state staged (or a failure recorded), then ended exactly once by {@link #commit} (each server gets its new
 * instance, state and frame, and runs again) or {@link #abort} (the staged states are dropped; each server runs
 * again on the old version with its state and mailbox). Until then no server of the module can start.
 */
public final class ServerMigration {
    private final StartLocks locks;
    private final Upgrade upgrade;
    private final BitSet claimed;
    private final long stamp;
    private final long beganNanos;
    private final long stagedNanos;
    private final boolean staged;
    /** The servers that had not staged when the wait ended (read before the verdict marks them all). */
    private final List<ServerProcess> late;
    private final long boundMillis;
    /** The module whose start lock this holds (none for {@link #none()}). */
    private final String module;
    private final AtomicBoolean ended = new AtomicBoolean();

    ServerMigration(StartLocks locks, Upgrade upgrade, BitSet claimed, long stamp, long beganNanos, long stagedNanos,
                    boolean staged, List<ServerProcess> late, long boundMillis) {
        this.locks = locks;
        this.upgrade = upgrade;
        this.claimed = claimed;
        this.stamp = stamp;
        this.beganNanos = beganNanos;
        this.stagedNanos = stagedNanos;
        this.staged = staged;
        this.late = late;
        this.boundMillis = boundMillis;
        this.module = upgrade != null ? upgrade.from.module() : null;
    }

    private ServerMigration(StartLocks locks, String module, long stamp) {
        this.locks = locks;
        this.upgrade = null;
        this.claimed = null;
        this.stamp = stamp;
        this.beganNanos = 0;
        this.stagedNanos = 0;
        this.staged = true;
        this.late = List.of();
        this.boundMillis = 0;
        this.module = module;
    }

    /** A module loaded for the first time: no version is being left, nothing to suspend, commit or abort. */
    public static ServerMigration none() {
        return new ServerMigration(null, null, null, 0, 0, 0, true, List.of(), 0);
    }

    /**
     * No server runs {@code from}: nothing to migrate, but the module's start lock is held all the same until the
     * upgrade ends, so no server starts on the version being left meanwhile.
     */
    static ServerMigration holding(StartLocks locks, ModuleVersion from, long stamp) {
        return new ServerMigration(locks, from.module(), stamp);
    }

    public int servers() {
        return upgrade == null ? 0 : upgrade.servers.size();
    }

    /** Whether every server staged a migrated state that the new version can read. */
    public boolean staged() {
        return staged;
    }

    /**
     * Commit: every server gets what it staged and runs again on the new version. Called once the new version is
     * current, so a released server's next qualified call and its next message already see it.
     */
    public void commit(boolean quiet) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        if (upgrade == null) {
            unlock();
            return;
        }
        try {
            long t2 = System.nanoTime();
            upgrade.decide(Upgrade.Verdict.COMMIT, claimed);
            long t3 = System.nanoTime();
            if (!quiet) {
                Log.info("upgraded " + servers() + " server(s) of " + upgrade.from.module() + " " + upgrade.from.version()
                        + " -> " + upgrade.to.version() + ": suspend + migrate " + ms(stagedNanos - beganNanos)
                        + ", commit + resume " + ms(t3 - t2) + " (" + claimed.cardinality() + " migrated while idle, "
                        + (servers() - claimed.cardinality()) + " at the end of a callback)");
            }
        } finally {
            unlock();
        }
    }

    /** Abort: the staged states are dropped and every server runs again on the old version. Returns how long it took. */
    public long abort() {
        if (!ended.compareAndSet(false, true)) {
            return 0;
        }
        if (upgrade == null) {
            unlock();
            return 0;
        }
        long t = System.nanoTime();
        try {
            upgrade.decide(Upgrade.Verdict.ROLLBACK, claimed);
        } finally {
            unlock();
        }
        return System.nanoTime() - t;
    }

    private void unlock() {
        if (locks != null) {
            locks.unlockWrite(module, stamp);
        }
    }

    /** Why the migration did not stage (after {@link #abort}, which measured {@code rollbackNanos}). */
    public MigrationException failure(long rollbackNanos) {
        Upgrade.Failure f = upgrade.failure();
        String head = upgrade.from.module() + ": upgrade " + upgrade.from.version() + " -> " + upgrade.to.version()
                + " rolled back; all " + servers() + " server(s) stay on " + upgrade.from.label()
                + " with their state and mailbox (rollback took " + ms(rollbackNanos) + "). Cause: ";
        if (f != null) {
            return new MigrationException(head + f.what() + " failed in server " + named(f.server().proc()) + ": "
                    + f.cause(), f.server().proc(), f.cause());
        }
        List<String> named = new ArrayList<>();
        late.stream().limit(10).forEach(s -> named.add(named(s.proc())));
        Pid first = late.isEmpty() ? null : late.get(0).proc();
        return new MigrationException(head + (late.size() <= 10 ? "server(s) " + named
                : late.size() + " servers, first " + named) + " did not reach a safe point and migrate within the"
                + " migration bound of " + boundMillis + " ms (busy in a callback, or codeChange too slow)",
                first, null);
    }

    /** A server as an operator knows it: its pid, and its registered name when it has one ({@code <0.7.0> (kv)}). */
    private static String named(Proc p) {
        String name = p.registeredName();
        return name == null ? p.toString() : p + " (" + name + ")";
    }

    /** The version being left. */
    public ModuleVersion from() {
        return upgrade == null ? null : upgrade.from;
    }

    static String ms(long nanos) {
        return String.format("%.1f ms", nanos / 1e6);
    }
}
