package hotcode.runtime.impl.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The live processes of a {@link ProcessTable}, found by number: a hash set whose entries are the processes
 * themselves. Adding a process allocates nothing; a process costs its table slot (4-8 bytes at the load this set keeps)
 * and the link field it carries ({@code Proc.nextInSet}).
 *
 * <p>Why not a {@code ConcurrentHashMap}: its node is an object of 32 bytes per entry, next to a waiting process's
 * ~1,000 (BENCHMARKS.md, issue 16, item 4). Here the process is its own node.
 *
 * <h2>Implementation overview</h2>
 * The set is split into {@value #STRIPES} stripes by the low bits of the process's number; each stripe is a chained
 * hash table guarded by its own lock (the stripe, a {@code ReentrantLock}: a waiter is woken by the thread that
 * releases it, not resumed from the scheduler's external queue as a virtual thread blocked on a contended monitor is,
 * see {@code Proc.lock()}), so spawns and exits on different stripes do not contend, and
 * a resize doubles one stripe's buckets, never the whole set's. Lookups ({@link #find}) take no lock unless they miss:
 * the cluster's network reader looks up the receiver of every message from another node, and must not wait behind a
 * spawn or a stripe's resize (see {@code Stripe}). {@link #forEach} copies one stripe at a time under its lock and
 * visits the copy outside it, so a slow visitor (a sample of a million processes) never holds up a spawn or an exit
 * for longer than one stripe's copy.
 */
final class ProcessSet {
    private static final int STRIPE_BITS = 6;
    /** Consecutive spawns and exits take different locks of the 64; a stripe costs a small table. */
    static final int STRIPES = 1 << STRIPE_BITS;
    private static final int INITIAL_BUCKETS = 16;
    private static final VarHandle BUCKET = MethodHandles.arrayElementVarHandle(Proc[].class);

    private final Stripe[] stripes = new Stripe[STRIPES];

    ProcessSet() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** Adds {@code p}, which must not be in any set yet (a new process). */
    void add(Proc p) {
        stripe(p.id()).add(p);
    }

    /** Removes {@code p}; nothing if it is not here (already removed). */
    void remove(Proc p) {
        stripe(p.id()).remove(p);
    }

    /** The live process numbered {@code id}, or null. */
    Proc find(long id) {
        return stripe(id).find(id);
    }

    /** The number of processes, summed over the stripes: exact when nothing changes meanwhile, a sample otherwise. */
    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            n += s.size;
        }
        return n;
    }

    /** Calls {@code visitor} with every process in the set, one stripe's copy at a time (see the class comment). */
    void forEach(Consumer<Proc> visitor) {
        Proc[] copy = new Proc[INITIAL_BUCKETS];
        for (Stripe s : stripes) {
            int n;
            s.lock();
            try {
                n = s.size;
                if (copy.length < n) {
                    copy = new Proc[Math.max(n, copy.length * 2)];
                }
                s.copyInto(copy);
            } finally {
                s.unlock();
            }
            for (int i = 0; i < n; i++) {
                Proc p = copy[i];
                copy[i] = null; // the copy must not keep a process that exits alive until the next stripe's copy
                visitor.accept(p);
            }
        }
    }

    private Stripe stripe(long id) {
        return stripes[stripeOf(id)];
    }

    /**
     * The stripe of process number {@code id}: its low bits. Numbers are given out in sequence, so consecutive spawns
     * go to different stripes (different locks), and within a stripe consecutive numbers fill consecutive buckets
     * ({@link Stripe#index}): a million spawns, or exits, in number order walk each bucket array in order instead of
     * jumping about 8 MB of them (a scrambling hash made the bench's 1M spawns 40 % slower and their exits 60 %).
     */
    static int stripeOf(long id) {
        return (int) id & (STRIPES - 1);
    }

    /**
     * One chained hash table of processes. Changes (add, remove, resize) hold the stripe's lock; {@link #find} walks a
     * chain without it first. That walk is safe because every link ({@code Proc.nextInSet}, volatile) points to a
     * process added <em>before</em> the one that holds it: an add links the new process in front of the older ones,
     * a remove links a process's predecessor to its successor, and a resize splits each chain into two keeping its
     * order. So a walk that races with any of them only ever moves to older processes and ends, never loops; it may
     * end early (a removed process's link is cleared) or in the wrong chain (a resize relinked it), so a walk that
     * does not find the number looks again under the lock.
     */
    private static final class Stripe extends ReentrantLock {
        /** Replaced whole by a resize (volatile: a lock-free find reads the current one); slots set with release. */
        private volatile Proc[] buckets = new Proc[INITIAL_BUCKETS];
        /** Written under the lock; read without it by {@link ProcessSet#size()}. */
        private volatile int size;

        void add(Proc p) {
            lock();
            try {
                Proc[] b = buckets;
                if (size >= b.length) {
                    b = resize(b);
                }
                int i = index(p.id(), b.length);
                p.nextInSet = b[i];
                BUCKET.setRelease(b, i, p); // publishes p, with its link, to a find that walks without the lock
                size = size + 1;
            } finally {
                unlock();
            }
        }

        void remove(Proc p) {
            lock();
            try {
                Proc[] b = buckets;
                int i = index(p.id(), b.length);
                Proc prev = null;
                for (Proc x = b[i]; x != null; prev = x, x = x.nextInSet) {
                    if (x == p) {
                        Proc next = x.nextInSet;
                        if (prev == null) {
                            BUCKET.setRelease(b, i, next);
                        } else {
                            prev.nextInSet = next;
                        }
                        x.nextInSet = null; // an exited process keeps no other alive; a walk standing on it looks again
                        size = size - 1;
                        return;
                    }
                }
            } finally {
                unlock();
            }
        }

        /** The process numbered {@code id}: without the lock (the message path's lookups), then with it on a miss. */
        Proc find(long id) {
            Proc[] b = buckets;
            Proc found = inChain((Proc) BUCKET.getAcquire(b, index(id, b.length)), id);
            return found != null ? found : findLocked(id);
        }

        private Proc findLocked(long id) {
            lock();
            try {
                Proc[] b = buckets;
                return inChain(b[index(id, b.length)], id);
            } finally {
                unlock();
            }
        }

        /** The process numbered {@code id} in the chain that starts at {@code x}, or null. */
        private static Proc inChain(Proc x, long id) {
            for (; x != null; x = x.nextInSet) {
                if (x.id() == id) {
                    return x;
                }
            }
            return null;
        }

        /** Lock held by the caller; {@code into} has room for {@link #size} processes. */
        void copyInto(Proc[] into) {
            int n = 0;
            for (Proc head : buckets) {
                for (Proc x = head; x != null; x = x.nextInSet) {
                    into[n++] = x;
                }
            }
        }

        /**
         * Doubles the buckets (load factor 1: numbers given out in sequence leave chains short), splitting each chain
         * in two in its own order (see the class comment). Lock held by the caller. A stripe never shrinks (neither
         * does a {@code ConcurrentHashMap}): a million processes that exit leave 4-8 MB of empty buckets, which the
         * next million reuse.
         */
        private Proc[] resize(Proc[] old) {
            int n = old.length;
            Proc[] grown = new Proc[n * 2];
            for (int j = 0; j < n; j++) {
                Proc loHead = null;
                Proc loTail = null;
                Proc hiHead = null;
                Proc hiTail = null;
                Proc next;
                for (Proc x = old[j]; x != null; x = next) {
                    next = x.nextInSet;
                    if (index(x.id(), 2 * n) == j) {
                        if (loTail == null) {
                            loHead = x;
                        } else {
                            loTail.nextInSet = x;
                        }
                        loTail = x;
                    } else {
                        if (hiTail == null) {
                            hiHead = x;
                        } else {
                            hiTail.nextInSet = x;
                        }
                        hiTail = x;
                    }
                }
                if (loTail != null) {
                    loTail.nextInSet = null;
                    grown[j] = loHead;
                }
                if (hiTail != null) {
                    hiTail.nextInSet = null;
                    grown[j + n] = hiHead;
                }
            }
            buckets = grown; // volatile: a find that reads it sees the chains as relinked here
            return grown;
        }

        /** The bucket: the number's bits above those that chose the stripe (see {@link #stripeOf}). */
        private static int index(long id, int length) {
            return (int) (id >>> STRIPE_BITS) & (length - 1);
        }
    }
}
