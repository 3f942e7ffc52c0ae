package hotcode.runtime.impl.process;

import hotcode.runtime.api.Next;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;

import java.util.concurrent.locks.LockSupport;

/**
 * The migrate purge's move protocol for plain processes: instead of killing a process parked in {@code receive} in the
 * old version, the purger asks it to move ({@link #request}); the process answers on its own thread at its receive
 * ({@link #decide}): one that has done nothing since its top-level qualified step began re-runs that step on the
 * current version, its mailbox untouched; any other declines and is killed. Servers move by their own protocol
 * ({@code impl.server.ServerUpgrades.migrate}).
 *
 * <p>The state is one byte in the process, {@code Proc.move}: {@link #NONE} → {@link #REQUESTED} (the purger) →
 * {@link #ACCEPTED} or {@link #DECLINED} (the owner) → {@link #NONE} (the purger, {@link #clear}). Static methods over
 * that field rather than an object per process, so a process is no bigger; the receive path pays one volatile read of
 * it, as before, and calls in here only when a move is requested.
 */
public final class Moves {
    static final byte NONE = 0, REQUESTED = 1, ACCEPTED = 2, DECLINED = 3;

    /** Thrown through old code to the trampoline ({@code Proc.run}), which re-runs the step ({@link #reentry}). */
    static final class Signal extends Error {
        Signal() {
            super("moved to the current version", null, false, false);
        }
    }

    private Moves() {
    }

    /**
     * Asks {@code p} to move to the current version (a migrate purge of {@code old}): answered on its own thread at its
     * receive. False when it is not parked in receive in {@code old} at the top level, so it must be killed. The
     * purger's thread.
     */
    public static boolean request(Proc p, ModuleVersion old) {
        if (p.exited || p.depth != 1 || p.topVersion() != old || !p.isWaiting()) {
            return false;
        }
        p.move = REQUESTED;
        LockSupport.unpark(p.owner);
        return true;
    }

    /** Whether {@code p} accepted a move (true), declined it (false), or has not answered yet (null). Any thread. */
    public static Boolean answer(Proc p) {
        int m = p.move;
        return m == ACCEPTED ? Boolean.TRUE : m == DECLINED ? Boolean.FALSE : p.exited ? Boolean.FALSE : null;
    }

    /** Clears a move's answer, so that a later migrate purge asks afresh. The purger's thread. */
    public static void clear(Proc p) {
        p.move = NONE;
    }

    /**
     * The owner's answer, at its receive: a process that has done nothing since its qualified step began (no message
     * taken, no send, spawn, link or name) can re-run that step on the current version with its mailbox untouched, so
     * it accepts and throws {@link Signal} to its trampoline; any other declines and waits to be killed.
     */
    static void decide(Proc p) {
        ModuleVersion top = p.topVersion();
        if (p.depth == 1 && p.stepCall != null && p.progress == p.progressAtStep && top != null && top.isOld()) {
            p.move = ACCEPTED;
            throw new Signal();
        }
        p.move = DECLINED;
    }

    /**
     * The step a moved process runs next, on its trampoline: its step's qualified call again, which resolves the
     * current version. Out of line on purpose, in this class: every parked process keeps {@code Proc.run}'s frame in
     * its stack chunk. As a private method of {@code Proc} it was small enough for C1 to inline into {@code run},
     * string concatenation and all, which made that frame bigger; this class is loaded only by the first move.
     */
    static Next reentry(Proc p) {
        Log.info("process " + p + " moved to the current version of " + p.topVersion().module()
                + " (migrate purge): re-entering " + p.stepCall);
        return p.stepCall;
    }
}
