package hotcode.runtime.impl.process;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads parked for processes' locks ({@link Proc#lock()}). A process pays one byte for its lock; the few threads
 * that ever wait for one are queued here, in a fixed table of buckets chosen by the process, each bucket a short lock
 * and a list of waiters (a "parking lot", as in WebKit's and Rust's). A waiter parks; the thread that releases the
 * lock unparks the first waiter for that process, so a virtual thread released by a virtual thread runs next on that
 * carrier, not from the scheduler's external queue (see the comment above {@link Proc#lock()} for why that matters).
 *
 * <p>Implementation overview. The lock's third state, {@link Proc#CONTENDED}, is the whole protocol: a waiter sets it
 * and queues itself under its bucket's lock ({@link #await}); a release that swaps the state from {@code CONTENDED}
 * to free takes the same bucket lock to unpark the first waiter ({@link #wakeOne}), so it finds the waiter queued
 * whichever came first, and an unpark that comes before the park leaves its permit. A woken waiter takes the lock as
 * {@code CONTENDED} (others may still wait), or, if another thread took it first, queues itself again. The buckets'
 * own locks are {@link ReentrantLock}s, not monitors, for the same reason as the process's lock; they are held for a
 * few list operations.
 */
final class LockWaiters {
    private static final int BUCKETS = 64; // a power of two; waiters are rare, collisions between them rarer

    private static final Bucket[] TABLE = new Bucket[BUCKETS];

    static {
        for (int i = 0; i < BUCKETS; i++) {
            TABLE[i] = new Bucket();
        }
    }

    private LockWaiters() {
    }

    /** One thread parked for one process's lock. */
    private static final class Waiter {
        final Proc proc;
        final Thread thread = Thread.currentThread();
        volatile boolean woken;
        Waiter next;

        Waiter(Proc proc) {
            this.proc = proc;
        }
    }

    /** A bucket: its lock guards its list of waiters (oldest first). */
    private static final class Bucket extends ReentrantLock {
        Waiter head;
        Waiter tail;
    }

    private static Bucket bucket(Proc p) {
        int h = p.hashCode();
        return TABLE[(h ^ (h >>> 16)) & (BUCKETS - 1)];
    }

    /**
     * Parks the calling thread until a release of {@code p}'s lock wakes it; returns at once if the lock is free. The
     * caller then tries to take the lock. An interrupt does not end the wait (the sections are short): the thread has
     * its interrupt status again when this returns.
     */
    static void await(Proc p) {
        Bucket b = bucket(p);
        Waiter w;
        b.lock();
        try {
            if (!p.markLockContended()) {
                return; // released meanwhile: try again
            }
            w = new Waiter(p);
            if (b.tail == null) {
                b.head = w;
            } else {
                b.tail.next = w;
            }
            b.tail = w;
        } finally {
            b.unlock();
        }
        boolean interrupted = false;
        while (!w.woken) {
            LockSupport.park(p);
            // An interrupt (a kill) must not turn this wait into a spin: park returns at once while the flag is set,
            // and the holder may be a thread parked here too (link holds one lock while it waits for the other),
            // waiting for this very carrier. The flag is put back for the caller.
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Wakes the first thread parked for {@code p}'s lock, if any (called by a release that found it contended). */
    static void wakeOne(Proc p) {
        Bucket b = bucket(p);
        Waiter w;
        b.lock();
        try {
            Waiter prev = null;
            w = b.head;
            while (w != null && w.proc != p) {
                prev = w;
                w = w.next;
            }
            if (w == null) {
                return; // a waiter that took the lock as CONTENDED: nobody else waited
            }
            if (prev == null) {
                b.head = w.next;
            } else {
                prev.next = w.next;
            }
            if (b.tail == w) {
                b.tail = prev;
            }
            w.next = null;
        } finally {
            b.unlock();
        }
        w.woken = true;
        LockSupport.unpark(w.thread);
    }
}
