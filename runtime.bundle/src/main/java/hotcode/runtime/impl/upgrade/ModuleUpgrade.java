package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.server.ServerMigration;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One module's upgrade as a transaction, read as release_handler_1:eval reads a relup: <b>prepare</b> (purge the
 * older old version, load the new one without making it current, suspend the module's servers and run every
 * {@code codeChange}), then <b>commit</b> (make it current, resume the servers on it) or <b>abort</b> (resume them on
 * the old version, restore the bundle). Several prepared upgrades commit together with {@link #commitAll}, which is
 * what releases and cluster-wide loads build on.
 *
 * <p>A prepared upgrade holds its module's lock ({@link ModuleSlot#lock}) from {@link #prepare} until it ends, and
 * its module's servers stay suspended that long. It ends exactly once: committed, aborted, or, when nobody ends it
 * within the migration bound, aborted by the watchdog, which says so in the log.
 */
public final class ModuleUpgrade {
    private static final int PREPARED = 0, ENDING = 1, ENDED = 2;

    private final CodeServerImpl owner;
    private final ModuleSlot slot;
    private final ModuleSource source;
    private final ModuleVersion from;
    private final ModuleVersion to;
    private final ServerMigration servers;
    private final long preparedNanos;
    private final AtomicInteger phase = new AtomicInteger(PREPARED);
    private volatile ScheduledFuture<?> watchdog;
    /** How it ended, once it has. */
    private volatile UpgradeOutcome outcome;

    private ModuleUpgrade(CodeServerImpl owner, ModuleSlot slot, ModuleSource source, ModuleVersion from, ModuleVersion to,
                          ServerMigration servers, long preparedNanos) {
        this.owner = owner;
        this.slot = slot;
        this.source = source;
        this.from = from;
        this.to = to;
        this.servers = servers;
        this.preparedNanos = preparedNanos;
    }

    // ------------------------------------------------------------------ prepare

    /**
     * Prepares loading {@code source} as the new current version of its module; {@code slot} is locked by the caller
     * and, from here on, owned by the returned upgrade (or unlocked here if preparing fails: either way the caller
     * never unlocks it). When a server could not be migrated, the upgrade has aborted itself when this returns
     * ({@link #prepared()} is false, {@link #commit} returns the abort's outcome, whose cause is a
     * {@link MigrationException}): the servers are back on the current version and the bundle is being restored;
     * nothing else changed but the purge of the older old version.
     */
    static ModuleUpgrade prepare(CodeServerImpl owner, ModuleSlot slot, ModuleSource source, ModuleVersion.Binding binding) {
        long t0 = System.nanoTime();
        ModuleVersion from;
        ModuleVersion to = null;
        ServerMigration servers;
        try {
            // 1. a module has two versions at most: the older old one goes first (Erlang's l(M) purges before loading)
            if (slot.old() != null) {
                owner.purger().purge(slot, "before loading " + slot.name() + " " + source.version(), false);
            }
            // 2. the new version: loaded, its classes known as the module's, not current yet
            from = slot.current();
            to = slot.newVersion(source, binding);
            // 3. suspend the servers that run the current version at their safe points; run, check and stage every
            //    codeChange (ServerUpgrades); they stay suspended until the verdict
            servers = from == null ? ServerMigration.none() : owner.servers().suspendAndMigrate(from, to);
        } catch (RuntimeException | Error e) { // nothing prepared: the slot is the caller's to give back
            if (to != null) {
                slot.discard(to);
            }
            slot.unlock();
            throw e;
        }
        ModuleUpgrade u = new ModuleUpgrade(owner, slot, source, from, to, servers, System.nanoTime() - t0);
        if (!servers.staged()) {
            u.abort(null);
            return u;
        }
        u.watchdog = owner.watch(u);
        return u;
    }

    /** Whether it is prepared and not yet ended: it can still be committed. */
    public boolean prepared() {
        return phase.get() == PREPARED;
    }

    // ------------------------------------------------------------------ commit

    /** Commits this upgrade alone. */
    public UpgradeOutcome commit() {
        return commitAll(List.of(this)).get(0);
    }

    /**
     * Commits prepared upgrades together: every module's new version becomes current first, then every module's
     * servers resume on theirs, so no server of one of them runs again before all of them are switched. If one of
     * them has already ended (the watchdog aborted it), nothing is committed: the others are aborted too.
     */
    public static List<UpgradeOutcome> commitAll(List<ModuleUpgrade> upgrades) {
        List<ModuleUpgrade> claimed = new ArrayList<>();
        for (ModuleUpgrade u : upgrades) {
            if (!u.phase.compareAndSet(PREPARED, ENDING)) {
                claimed.forEach(c -> c.phase.set(PREPARED));
                List<UpgradeOutcome> out = new ArrayList<>();
                HotcodeException why = new HotcodeException("the upgrade of " + u.to.label() + " was aborted before the"
                        + " commit, so none of " + upgrades.size() + " prepared upgrade(s) was committed");
                for (ModuleUpgrade other : upgrades) {
                    out.add(other == u ? u.endedOutcome(why) : other.abort(why));
                }
                return out;
            }
            claimed.add(u);
        }
        for (ModuleUpgrade u : upgrades) {
            u.cancelWatchdog();
        }
        List<UpgradeOutcome> out = new ArrayList<>();
        try {
            // 4. switch: each new version is current, each previous current is old
            for (ModuleUpgrade u : upgrades) {
                u.slot.makeCurrent(u.to);
            }
            // 5. give each server its new instance, state and frame, and let it run (resume)
            for (ModuleUpgrade u : upgrades) {
                long t = System.nanoTime();
                u.servers.commit(u.slot.internal());
                CodeLog.info(u.slot, "loaded " + u.to.label() + (u.from == null ? "" : "; " + u.from.label() + " is now old"));
                u.outcome = new UpgradeOutcome(u.slot.name(), UpgradeOutcome.Result.COMMITTED, u.from, u.to,
                        u.servers.servers(), u.preparedNanos, System.nanoTime() - t, null);
                out.add(u.outcome);
            }
        } finally {
            for (ModuleUpgrade u : upgrades) {
                u.phase.set(ENDED);
                u.slot.unlock();
            }
        }
        // 6. told after the lock is given back: the OSGi boundary anchors the new revision (Felix's global lock)
        for (ModuleUpgrade u : upgrades) {
            u.owner.registry().announceLoaded(u.to, u.source.header());
            if (!u.slot.internal()) {
                u.owner.announce(l -> l.loaded(u.outcome));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ abort

    /**
     * Aborts: the staged states are dropped, every server runs again on the current version with its state and
     * mailbox, the new version is discarded and the module's bundle is restored to the current version's jar.
     * {@code why} is the reason, or null when the servers' migration failed (its own cause is reported then).
     */
    public UpgradeOutcome abort(HotcodeException why) {
        return abort(why, true);
    }

    /**
     * {@link #abort(HotcodeException)}, logging the cause or not: a caller that aborts several upgrades for one
     * failure (a release) reports it once itself.
     */
    public UpgradeOutcome abort(HotcodeException why, boolean log) {
        if (!phase.compareAndSet(PREPARED, ENDING)) {
            return endedOutcome(why);
        }
        cancelWatchdog();
        HotcodeException cause = why;
        long rollback;
        try {
            rollback = servers.abort();
            slot.discard(to);
            if (cause == null) {
                cause = servers.failure(rollback);
            } else if (servers.servers() > 0) {
                cause = new MigrationException(slot.name() + ": upgrade " + (from == null ? "" : from.version() + " -> ")
                        + to.version() + " rolled back; all " + servers.servers() + " server(s) stay on "
                        + from.label() + " with their state and mailbox. Cause: " + why.getMessage(), null, why);
            }
            // set before the phase is ENDED: whoever finds this upgrade ended reads its outcome (endedOutcome)
            outcome = new UpgradeOutcome(slot.name(), UpgradeOutcome.Result.ABORTED, from, to, servers.servers(),
                    preparedNanos, rollback, cause);
        } finally {
            phase.set(ENDED);
            slot.unlock();
        }
        if (!slot.internal()) {
            if (log) {
                Log.error(cause.getMessage(), cause.getCause());
            }
            UpgradeOutcome aborted = outcome;
            owner.announce(l -> l.rolledBack(aborted));
        }
        if (from != null) {
            owner.bundles().restore(from, source); // asynchronous: the bundle is in the middle of its own start
        }
        return outcome;
    }

    /** The watchdog's abort: nobody committed or aborted this upgrade within the migration bound. */
    void expire(long boundMillis) {
        if (phase.get() == PREPARED) {
            abort(new HotcodeException("the prepared upgrade of " + slot.name() + " to " + to.version()
                    + " was neither committed nor aborted within " + boundMillis + " ms, so it aborted itself"));
        }
    }

    public String module() {
        return slot.name();
    }

    /** How it ended (its cause when aborted), or null while it is prepared or ending. */
    public UpgradeOutcome outcome() {
        return outcome;
    }

    public ModuleVersion to() {
        return to;
    }

    /**
     * The outcome of an upgrade that has ended, or is ending on another thread (the watchdog's abort, another
     * commit): waited for, so a caller that saw {@link #prepared()} false gets the real cause, not {@code why}.
     */
    private UpgradeOutcome endedOutcome(HotcodeException why) {
        while (phase.get() == ENDING) { // an abort or commit takes milliseconds and waits for nothing of ours
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
        UpgradeOutcome o = outcome;
        return o != null ? o : new UpgradeOutcome(slot.name(), UpgradeOutcome.Result.ABORTED, from, to,
                servers.servers(), preparedNanos, 0, why);
    }

    private void cancelWatchdog() {
        ScheduledFuture<?> w = watchdog;
        if (w != null) {
            w.cancel(false);
        }
    }
}
