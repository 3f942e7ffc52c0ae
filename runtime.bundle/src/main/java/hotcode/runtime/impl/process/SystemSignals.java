package hotcode.runtime.impl.process;

import java.util.concurrent.locks.LockSupport;

/**
 * The server system-signal protocol: how a system request (suspend, resume, get or replace the state, stop, an
 * upgrade) reaches a server's process, which waits for messages. The requester queues the request with the server and
 * signals its process ({@link #signal}, any thread); the server's loop waits for a message or a signal at once
 * ({@link #receive}), and where it waits for signals only (suspended, claimed by an upgrade, waiting for a verdict) it
 * parks in {@link #await}. Plain processes never see a signal.
 *
 * <p>The signal is one flag in the process, {@code Proc.systemSignal}: set by any thread, then an unpark; cleared by
 * the owner only, here or in {@code Proc.await}'s loop (which tests it inline: that loop stays one method with no call
 * before its park). Static methods over that field rather than an object per process, so a process is no bigger, and a
 * parked server keeps no more frames than when these methods were {@code Proc}'s: {@link #receive} stands where
 * {@code Proc.receiveOrSystem} stood, {@link #await} where {@code Proc.awaitSystem} stood.
 */
public final class SystemSignals {
    /** What {@link #receive} returns when a system signal, not a message, woke the process. */
    public static final Object SYSTEM = new Object() {
        @Override
        public String toString() {
            return "system";
        }
    };

    private SystemSignals() {
    }

    /** Wakes {@code p} for a system request: its {@link #receive} returns {@link #SYSTEM}. Any thread. */
    public static void signal(Proc p) {
        p.systemSignal = true;
        LockSupport.unpark(p.owner);
    }

    /**
     * Like {@link Proc#receive} without a timeout, but also returns {@link #SYSTEM} when {@link #signal} was called:
     * a server's loop waits for messages and system requests at once. Owner only.
     */
    public static Object receive(Proc p, Object[] patterns) {
        p.checkExit();
        if (take(p)) {
            return SYSTEM;
        }
        Object m = p.take(patterns, true);
        if (m == Mailbox.NONE) {
            m = p.await(patterns, -1, true); // the one waiting loop, shared with Proc.receive: see await's comment
            if (m == SYSTEM) {
                return m;
            }
        }
        return p.admit(m);
    }

    /** Parks until {@link #signal} or an exit signal (which this then throws). Owner only. */
    public static void await(Proc p) {
        p.checkExit();
        if (!p.systemSignal) {
            LockSupport.park(p);
        }
        p.systemSignal = false;
        p.checkExit();
    }

    /** Takes a signal that has come (clears it): true if there was one. Owner only. */
    private static boolean take(Proc p) {
        if (p.systemSignal) {
            p.systemSignal = false;
            return true;
        }
        return false;
    }
}
