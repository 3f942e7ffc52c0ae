package hotcode.runtime.impl.process;

import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads parked for processes' locks ({@link Proc#lock()}). A process pays one byte for its lock; the few threads
 * that ever wait for one are queued here, in a fixed table of buckets chosen by the process, each bucket a short lock
 * and a list of waiters (a "parking lot", as in WebKit's and Rust's). A waiter parks; the thread that releases the
 * lock unparks the first waiter for that process, so a virtual thread released by a virtual thread joins that
 * carrier's own queue instead of the scheduler's external queue (see the comment above {@link Proc#lock()} for why
 * that matters).
 *
 * <p>Implementation overview. The lock's third state, {@link Proc#CONTENDED}, is the whole protocol: a waiter sets it
 * and queues itself under its bucket's lock ({@link #await}); a release that swaps the state from {@code CONTENDED}
 * to free takes the same bucket lock to unpark the first waiter ({@link #wakeOne}), so it finds the waiter queued
 * whichever came first, and an unpark that comes before the park leaves its permit. A woken waiter takes the lock as
 * {@code CONTENDED} (others may still wait); if another thread took it first, it queues itself again at the head, so
 * a thread that keeps losing to newcomers is still the next one woken. The buckets' own locks are
 * {@link ReentrantLock}s, not monitors, for the same reason as the process's lock; they are held for a few list
 * operations. A waiter parks with a timeout ({@link #RECHECK_NANOS}) and looks at the lock when it times out: a
 * release whose wake-up failed half-way (a {@code StackOverflowError} in {@link #wakeOne} after the lock was freed)
 * then costs a waiter that long, not its life.
 */
final class LockWaiters {
    private static final int BUCKETS = 64; // a power of two; waiters are rare, collisions between them rarer
    /** How long a waiter parks before it looks at the lock itself (only a failed wake-up leaves it waiting that long). */
    static final long RECHECK_NANOS = 10_000_000L;

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

    /** A bucket: its lock guards its list of waiters (oldest first, but for those queued {@code again}). */
    private static final class Bucket extends ReentrantLock {
        Waiter head;
        Waiter tail;

        void add(Waiter w, boolean first) {
            if (head == null) {
                head = tail = w;
            } else if (first) {
                w.next = head;
                head = w;
            } else {
                tail.next = w;
                tail = w;
            }
        }

        /** Removes and returns the first waiter for {@code p}, or null. */
        Waiter removeFirst(Proc p) {
            Waiter prev = null;
            for (Waiter w = head; w != null; prev = w, w = w.next) {
                if (w.proc == p) {
                    unlink(prev, w);
                    return w;
                }
            }
            return null;
        }

        /** Removes {@code w}; false if it is not queued (a release took it: it is being woken). */
        boolean remove(Waiter w) {
            Waiter prev = null;
            for (Waiter x = head; x != null; prev = x, x = x.next) {
                if (x == w) {
                    unlink(prev, w);
                    return true;
                }
            }
            return false;
        }

        private void unlink(Waiter prev, Waiter w) {
            if (prev == null) {
                head = w.next;
            } else {
                prev.next = w.next;
            }
            if (tail == w) {
                tail = prev;
            }
            w.next = null;
        }
    }

    private static Bucket bucket(Proc p) {
        int h = p.hashCode();
        return TABLE[(h ^ (h >>> 16)) & (BUCKETS - 1)];
    }

    /**
     * Parks the calling thread until a release of {@code p}'s lock wakes it, or the lock is found free; returns at
     * once if it is free now. The caller then tries to take the lock. {@code again}: the caller was woken before and
     * lost the lock to another thread; it goes first in the queue. An interrupt does not end the wait (the sections
     * are short): the thread has its interrupt status again when this returns.
     */
    static void await(Proc p, boolean again) {
        Bucket b = bucket(p);
        Waiter w;
        b.lock();
        try {
            if (!p.markLockContended()) {
                return; // released meanwhile: try again
            }
            w = new Waiter(p);
            b.add(w, again);
        } finally {
            b.unlock();
        }
        boolean interrupted = false;
        try {
            while (!w.woken) {
                LockSupport.parkNanos(p, RECHECK_NANOS);
                // An interrupt (a kill) must not turn this wait into a spin: park returns at once while the flag is
                // set, and the holder may be a thread parked here too (link holds one lock while it waits for the
                // other), waiting for this very carrier. The flag is put back for the caller.
                interrupted |= Thread.interrupted();
                if (!w.woken && p.lockIsFree() && leave(b, w)) {
                    return; // free, and nobody woke us: a wake-up was lost; try to take it
                }
            }
        } catch (Throwable t) {
            leave(b, w); // (a StackOverflowError in park) no wake-up may go to a waiter that is gone
            throw t;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes {@code w} out of its bucket; false if a release took it first (it is being woken: wait for that). */
    private static boolean leave(Bucket b, Waiter w) {
        b.lock();
        try {
            return b.remove(w);
        } finally {
            b.unlock();
        }
    }

    /** Wakes the first thread parked for {@code p}'s lock, if any (called by a release that found it contended). */
    static void wakeOne(Proc p) {
        Bucket b = bucket(p);
        Waiter w;
        b.lock();
        try {
            w = b.removeFirst(p);
        } finally {
            b.unlock();
        }
        if (w != null) {
            w.woken = true;
            LockSupport.unpark(w.thread);
        }
        // none: a waiter that took the lock as CONTENDED, and nobody else waited
    }
}
