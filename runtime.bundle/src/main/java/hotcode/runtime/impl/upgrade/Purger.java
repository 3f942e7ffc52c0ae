package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Moves;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.StackCheck;
import hotcode.runtime.impl.server.ServerUpgrades;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Drops a module's old version, after Erlang's erts_code_purger: every process still running it is killed (reason
 * {@code killed}) and waited for, up to the purge bound; in a migrate purge, processes that can move to the current
 * version move instead. Kept apart from the registry as Erlang keeps the purger apart from code_server: the registry
 * only records versions, this class acts on processes. Always called with the module's slot locked.
 */
final class Purger {
    private final ModuleRegistry registry;
    private final ProcessTable processes;
    private final ServerUpgrades servers;
    /** Volatile: a new configuration sets it while the runtime runs ({@link #boundMillis(long)}). */
    private volatile long boundMillis;
    private final CodeServerImpl owner;

    Purger(ModuleRegistry registry, ProcessTable processes, ServerUpgrades servers, long boundMillis, CodeServerImpl owner) {
        this.owner = owner;
        this.registry = registry;
        this.processes = processes;
        this.servers = servers;
        this.boundMillis = boundMillis;
    }

    /** A new purge bound (a configuration update), for the purges that start from now on. */
    void boundMillis(long millis) {
        boundMillis = Math.max(0, millis);
    }

    long boundMillis() {
        return boundMillis;
    }

    /** Purges {@code m}'s old version ({@code why} names the occasion in the log); not purged when there is none. */
    PurgeResult purge(ModuleSlot m, String why, boolean migrate) {
        return purge(m, why, migrate, null);
    }

    /**
     * {@link #purge(ModuleSlot, String, boolean)}, where {@code inFuns} are the processes already found running the
     * old version without a frame of it (inside one of its funs), or null to ask every process now
     * ({@link StackCheck}).
     */
    PurgeResult purge(ModuleSlot m, String why, boolean migrate, List<Proc> inFuns) {
        ModuleVersion old = m.old();
        if (old == null) {
            return new PurgeResult(m.name(), false, List.of(), List.of());
        }
        long t0 = System.nanoTime(); // once per purge, for the listeners (the observer's timeline)
        List<Proc> victims = processes.select(p -> p.runs(old));
        if (inFuns == null) {
            inFuns = StackCheck.inFuns(old, processes.select(p -> !p.runs(old)), boundMillis);
        }
        List<Pid> moved = new ArrayList<>();
        ModuleVersion current = m.current();
        if (migrate && current != null) {
            victims = moveWhatCan(old, current, victims, moved); // inside a fun is mid-execution: never moved
        }
        if (!inFuns.isEmpty()) {
            victims = new ArrayList<>(victims);
            victims.addAll(inFuns);
        }
        victims.forEach(Proc::kill);
        List<Pid> blockers = awaitExits(victims);
        m.dropOld();
        CodeLog.info(m, "purged " + old.label() + " (" + why + "): "
                + (moved.isEmpty() ? "" : "moved " + pids(moved) + " to " + current.label() + "; ")
                + (victims.isEmpty() ? (moved.isEmpty() ? "no process was running it" : "killed none") : "killed " + pids(victims))
                + (blockers.isEmpty() ? "" : "; still running after " + boundMillis + " ms: " + pids(blockers)));
        registry.announcePurged(old);
        PurgeResult result = new PurgeResult(m.name(), true, new ArrayList<>(victims), blockers, moved);
        if (!m.internal()) {
            long nanos = System.nanoTime() - t0;
            owner.announce(l -> l.purged(old, result, nanos));
        }
        return result;
    }

    /**
     * The processes that run {@code old} now, who block a soft purge: those with a frame of it, else (only then is it
     * worth asking every process) those inside one of its funs.
     */
    List<Pid> runningOld(ModuleVersion old) {
        List<Pid> blockers = new ArrayList<>(processes.select(p -> p.runs(old)));
        if (blockers.isEmpty()) {
            blockers.addAll(StackCheck.inFuns(old, processes.select(p -> true), boundMillis));
        }
        return blockers;
    }

    /** Erlang's check_process_code: its frames, then its stack (asked in the process: a fun is old code without a frame). */
    boolean runsOld(Proc p, ModuleVersion old) {
        return p.runs(old) || !StackCheck.inFuns(old, List.of(p), boundMillis).isEmpty();
    }

    /** Waits for the killed processes, up to the bound; returns those still running then. */
    private List<Pid> awaitExits(List<Proc> victims) {
        List<Pid> blockers = new ArrayList<>();
        long deadline = System.currentTimeMillis() + boundMillis;
        Proc self = Proc.currentOrNull();
        for (Proc p : victims) {
            if (p == self) {
                continue; // a victim running the purge itself unwinds when it next calls the runtime
            }
            try {
                if (!p.awaitExit(deadline - System.currentTimeMillis())) {
                    blockers.add(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                blockers.add(p);
            }
        }
        return blockers;
    }

    /**
     * The migrate purge's first pass: servers between messages move through their codeChange; plain processes parked
     * in receive at the start of a qualified step re-run that step on {@code current}. Returns the processes left to
     * kill.
     */
    private List<Proc> moveWhatCan(ModuleVersion old, ModuleVersion current, List<Proc> victims, List<Pid> moved) {
        List<Proc> movedServers = servers.migrate(old, current, victims);
        moved.addAll(movedServers);
        List<Proc> asked = new ArrayList<>();
        List<Proc> rest = new ArrayList<>();
        for (Proc p : victims) {
            if (movedServers.contains(p) || p.behaviour() != null) {
                if (!movedServers.contains(p)) {
                    rest.add(p); // a server in a callback (or one whose migration failed and exited)
                }
            } else if (Moves.request(p, old)) {
                asked.add(p);
            } else {
                rest.add(p);
            }
        }
        long deadline = System.currentTimeMillis() + boundMillis;
        for (Proc p : asked) {
            Boolean answer;
            // short pauses, not a spin: on a machine with few cores the answer comes from a process that needs one
            while ((answer = Moves.answer(p)) == null && System.currentTimeMillis() < deadline) {
                LockSupport.parkNanos(50_000);
            }
            if (Boolean.TRUE.equals(answer)) {
                // it accepted: it re-enters through a qualified call; wait until it has left the old version
                while (p.isAlive() && p.runs(old) && System.currentTimeMillis() < deadline) {
                    LockSupport.parkNanos(50_000);
                }
            }
            Moves.clear(p);
            if (Boolean.TRUE.equals(answer) && p.isAlive() && !p.runs(old)) {
                moved.add(p);
            } else if (p.runs(old)) {
                rest.add(p); // one that left old code by its own qualified call meanwhile is no victim
            }
        }
        return rest;
    }

    /** A pid list for the log: all of a short one, the count and the first ten of a long one. */
    private static String pids(List<? extends Pid> pids) {
        return pids.size() <= 10 ? pids.toString() : pids.size() + " processes " + pids.subList(0, 10) + "...";
    }
}
