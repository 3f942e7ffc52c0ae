package hotcode.runtime.impl.process;

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
 * hash table guarded by its own lock (the stripe object), so spawns and exits on different stripes do not contend, and
 * a resize doubles one stripe's buckets, never the whole set's. Lookups ({@link #find}, the console's and the
 * observer's, never the message path's) take the stripe's lock as well: a chain's links change under the lock on every
 * add, remove and resize, and a reader without it could follow a relinked process into another chain and miss the one
 * it looks for. {@link #forEach} copies one stripe at a time under its lock and visits the copy outside it, so a slow
 * visitor (a sample of a million processes) never holds up a spawn or an exit for longer than one stripe's copy.
 */
final class ProcessSet {
    private static final int STRIPE_BITS = 6;
    /** Consecutive spawns and exits take different locks of the 64; a stripe costs a small table. */
    static final int STRIPES = 1 << STRIPE_BITS;
    private static final int INITIAL_BUCKETS = 16;

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
            synchronized (s) {
                n = s.size;
                if (copy.length < n) {
                    copy = new Proc[Math.max(n, copy.length * 2)];
                }
                s.copyInto(copy);
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

    /** One chained hash table of processes, guarded by itself. */
    private static final class Stripe {
        private Proc[] buckets = new Proc[INITIAL_BUCKETS];
        /** Written under the lock; read without it by {@link ProcessSet#size()}. */
        private volatile int size;

        synchronized void add(Proc p) {
            if (size >= buckets.length) {
                resize();
            }
            int i = index(p.id(), buckets.length);
            p.nextInSet = buckets[i];
            buckets[i] = p;
            size = size + 1;
        }

        synchronized void remove(Proc p) {
            int i = index(p.id(), buckets.length);
            Proc prev = null;
            for (Proc x = buckets[i]; x != null; prev = x, x = x.nextInSet) {
                if (x == p) {
                    if (prev == null) {
                        buckets[i] = x.nextInSet;
                    } else {
                        prev.nextInSet = x.nextInSet;
                    }
                    x.nextInSet = null;
                    size = size - 1;
                    return;
                }
            }
        }

        synchronized Proc find(long id) {
            for (Proc x = buckets[index(id, buckets.length)]; x != null; x = x.nextInSet) {
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
         * Doubles the buckets (load factor 1: numbers given out in sequence leave chains short). Lock held by the
         * caller. A stripe never shrinks (neither does a {@code ConcurrentHashMap}): a million processes that exit
         * leave 4-8 MB of empty buckets, which the next million reuse.
         */
        private void resize() {
            Proc[] old = buckets;
            Proc[] grown = new Proc[old.length * 2];
            for (Proc head : old) {
                Proc x = head;
                while (x != null) {
                    Proc next = x.nextInSet;
                    int i = index(x.id(), grown.length);
                    x.nextInSet = grown[i];
                    grown[i] = x;
                    x = next;
                }
            }
            buckets = grown;
        }

        /** The bucket: the number's bits above those that chose the stripe (see {@link #stripeOf}). */
        private static int index(long id, int length) {
            return (int) (id >>> STRIPE_BITS) & (length - 1);
        }
    }
}
