package hotcode.runtime.impl.server;

import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves a module's servers from one version to another: for an upgrade ({@link #suspendAndMigrate}, ended by the
 * returned {@link ServerMigration}) and for a migrate purge ({@link #migrate}). The server side of the protocol
 * (claim, migrate, commit at the safe point) is {@link ServerProcess}'s; the all-or-nothing bookkeeping is
 * {@link Upgrade}'s.
 */
public final class ServerUpgrades {
    private final Servers servers;
    private final StartLocks locks;
    /** Volatile: a new configuration sets it while the runtime runs; an upgrade reads it once when it starts. */
    private volatile long migrationBoundMillis;
    /**
     * Platform threads that run codeChange for idle servers: not virtual threads, so an upgrade's progress does not
     * depend on the virtual-thread scheduler's fairness under load; a codeChange that hangs holds one of them (the
     * upgrade rolls back at its bound) and the pool makes another.
     */
    private final ExecutorService migrators = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hotcode-migrator");
        t.setDaemon(true);
        return t;
    });

    ServerUpgrades(Servers servers, StartLocks locks, long migrationBoundMillis) {
        this.servers = servers;
        this.locks = locks;
        this.migrationBoundMillis = migrationBoundMillis;
    }

    /** How long an upgrade waits for every server to reach its safe point and migrate before it rolls back. */
    public long boundMillis() {
        return migrationBoundMillis;
    }

    /** A new migration bound (a configuration update), for the upgrades that start from now on. */
    public void boundMillis(long millis) {
        migrationBoundMillis = Math.max(0, millis);
        locks.boundMillis(migrationBoundMillis);
    }

    /**
     * Suspends every server of {@code from}'s module that runs {@code from} at its safe point and runs the new
     * version's codeChange on its state, checked and staged, waiting up to the migration bound. The servers stay
     * suspended, and no server of the module can start, until the returned migration is committed or aborted.
     */
    public ServerMigration suspendAndMigrate(ModuleVersion from, ModuleVersion to) {
        // the start lock first, even when there is no server: none may start on the version being left until the end
        long stamp = locks.write(from.module());
        boolean handedOver = false;
        try {
            Set<ServerProcess> all = servers.of(from.module());
            List<ServerProcess> list = new ArrayList<>();
            for (ServerProcess s : all == null ? Set.<ServerProcess>of() : all) {
                if (s.version() == from && s.proc().isAlive()) {
                    list.add(s);
                }
            }
            if (list.isEmpty()) {
                handedOver = true;
                return ServerMigration.holding(locks, from, stamp);
            }
            long t0 = System.nanoTime();
            long bound = migrationBoundMillis; // one bound for the whole upgrade, whatever a new configuration says meanwhile
            long deadline = t0 + bound * 1_000_000;
            Upgrade u = new Upgrade(servers, from, to, list, false);
            BitSet claimed = stage(u);
            boolean staged = await(u, deadline);
            List<ServerProcess> late = staged ? List.of() : u.notStaged();
            handedOver = true;
            return new ServerMigration(locks, u, claimed, stamp, t0, System.nanoTime(), staged, late, bound);
        } finally {
            if (!handedOver) {
                locks.unlockWrite(from.module(), stamp);
            }
        }
    }

    /**
     * Starts every server's migration: idle servers are claimed and migrated on migrator threads (no wake-up, no
     * scheduling of 10,000 processes); busy ones get a system request and migrate themselves at their next safe point.
     */
    private BitSet stage(Upgrade u) {
        List<ServerProcess> list = u.servers;
        BitSet claimed = new BitSet(list.size());
        for (int i = 0; i < list.size(); i++) {
            ServerProcess s = list.get(i);
            if (s.claim()) {
                claimed.set(i);
            } else {
                s.request(SystemRequest.upgrade(u, i));
            }
        }
        int n = claimed.cardinality();
        int tasks = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), n / 512));
        int[] indices = claimed.stream().toArray();
        for (int k = 0; k < tasks; k++) {
            int from = k * indices.length / tasks;
            int to = (k + 1) * indices.length / tasks;
            if (from == to) {
                continue;
            }
            migrators.execute(() -> {
                for (int j = from; j < to; j++) {
                    int i = indices[j];
                    if (u.verdict() != Upgrade.Verdict.PENDING) {
                        return; // rolled back meanwhile (another server failed): the rest need not migrate
                    }
                    list.get(i).migrate(u, i);
                }
            });
        }
        return claimed;
    }

    /**
     * The migrate purge for servers: each server in {@code victims} that is between messages moves to {@code current}
     * (its codeChange migrates its state; its mailbox is kept); a server caught in a callback is left for the purge to
     * kill. Returns the servers that moved.
     */
    public List<Proc> migrate(ModuleVersion old, ModuleVersion current, List<Proc> victims) {
        List<ServerProcess> candidates = new ArrayList<>();
        for (Proc p : victims) {
            if (p.behaviour() instanceof ServerProcess s && s.version() == old) {
                candidates.add(s);
            }
        }
        List<Proc> moved = new ArrayList<>();
        if (candidates.isEmpty() || current == null) {
            return moved;
        }
        // only idle servers move: claim them; one caught in a callback is old code mid-execution, left to be killed
        List<ServerProcess> idle = new ArrayList<>();
        long deadline = System.nanoTime() + 100_000_000L;
        for (ServerProcess s : candidates) {
            // a server in the runtime's own code (between two system requests, just suspended) is idle in a moment
            while (!s.claim()) {
                if (s.inCallback() || !s.proc().isAlive() || System.nanoTime() > deadline) {
                    break;
                }
                LockSupport.parkNanos(50_000); // leave the cores to the server
            }
            if (s.phaseIsClaimed()) {
                idle.add(s);
            }
        }
        Upgrade u = new Upgrade(servers, old, current, idle, true);
        BitSet claimed = new BitSet(idle.size());
        claimed.set(0, idle.size());
        migrators.execute(() -> {
            for (int i = 0; i < idle.size() && u.verdict() == Upgrade.Verdict.PENDING; i++) {
                idle.get(i).migrate(u, i);
            }
        });
        await(u, System.nanoTime() + migrationBoundMillis * 1_000_000);
        u.commitEach(claimed, moved);
        return moved;
    }

    private static boolean await(Upgrade u, long deadlineNanos) {
        try {
            return u.awaitStaged(deadlineNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
