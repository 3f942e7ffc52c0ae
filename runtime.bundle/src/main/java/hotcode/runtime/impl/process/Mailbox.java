package hotcode.runtime.impl.process;

import hotcode.runtime.api.Terms;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.node.Encoded;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A process's mailbox: many senders, one owner. Senders append messages to a lock-free queue; the owner takes them
 * in arrival order. Messages a selective receive passes over move to a private <em>save queue</em> (Erlang's save
 * pointer) and are offered first to the next receive, so unmatched messages keep their order.
 *
 * <p><b>The queue</b> is a chain of {@link Segment}s of {@value #SLOTS} slots each. A sender claims the next slot of
 * the last segment by counting up its {@code claimed} (one atomic add, so senders do not retry against each other),
 * then stores its message in that slot (a release store: it publishes the message). The sender that claims past the
 * end appends the next segment with its message already in slot 0 (a compare-and-set of {@code next}; a sender that
 * loses it moves on to the winner's segment) and swings {@code tail} to it. The owner reads slot after slot and
 * clears each one it takes. Compared with a node per message this allocates 7 bytes per message instead of 24
 * (allocation was what bounded a one-way stream's sender), and the owner reads messages from consecutive slots
 * (BENCHMARKS.md, "i16-seg"). A mailbox that has never had a message has no segment, so a process that waits for
 * its first message pays nothing for it; afterwards it keeps its last segment (56 bytes, 32 more than the last node
 * it used to keep).
 *
 * <p><b>Waking the owner</b> is a Dekker hand-off between the queue and {@code waiting}: the owner announces it is
 * about to park, then looks once more, at the queue and, if that is empty, at the claims ({@link #linking()}); a
 * sender makes its message known by a volatile write (the claim, or the compare-and-set that links the segment
 * holding it) and unparks the owner only if it then wins the {@link #WAITING} -> {@link #WOKEN} transition. The
 * JMM's sequential consistency for these volatile accesses rules out the lost wake-up: either the sender sees the
 * announcement, or the owner sees the claim or the new segment and waits for the message instead of parking (a
 * claimed slot is stored a moment later: nothing but the store runs between the claim and it, no allocation either;
 * only a {@code StackOverflowError} exactly there could leave a claim unstored, as it could leave a node unlinked
 * before). The woken owner shows {@link #WOKEN} until it runs, which tells its waker (who learns from {@link #link}
 * that it woke it) that a poll for its reply would only hold the carrier it waits for ({@code Proc.poll}).
 *
 * <p>A sender far ahead of an owner that is draining the queue pauses briefly ({@link #backOffIfFarBehind}): a stream
 * faster than its receiver would otherwise pile up millions of messages for the garbage collector to copy.
 *
 * <p>{@link #close()} swaps the tail for {@link #CLOSED} and pushes the claim counter of every segment still linked
 * past any slot ({@link #POISON}), then seals the last segment's {@code next}: every message either was claimed
 * before (and is returned by the close, which waits for its store) or is refused to its sender ({@link #link}
 * returns {@link #REFUSED}): none is lost.
 *
 * <p>A process <em>is</em> its mailbox ({@link Proc} extends this class): one object header and one reference less
 * per process (16 bytes of a waiting process, after alignment; issue 16).
 */
class Mailbox {
    /** Returned by {@link #take} when no message matches. */
    static final Object NONE = new Object();

    /**
     * Slots per segment. 8: a segment is 56 bytes, 7 per message (a node per message was 24). A process keeps its last
     * segment once it has had a message, so larger segments would cost every such process more memory; the one-way
     * stream was no faster with 16 (in an array) than with 8 (BENCHMARKS.md, "i16-seg"). {@link Segment}'s slot
     * accessors have one case per slot.
     */
    static final int SLOTS = 8;
    /** Added to a segment's claim counter by {@link #close()}: every claim after it is past any slot, so refused. */
    private static final int POISON = 1 << 30;
    /** The tail of a closed mailbox, and the {@code next} of its last segment. It has no slot. */
    private static final Segment CLOSED = new Segment(0, null);
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;
    private static final VarHandle HEAD_INDEX;
    private static final VarHandle WAITING_FIELD;
    private static final VarHandle CLAIMED;
    private static final VarHandle NEXT;
    /** How often (in messages, a power of two) a sender compares its message's number with the owner's progress. */
    static final int BACKLOG_CHECK_EVERY = 1024;
    /** A backlog (messages the owner has not looked at) above which a sender pauses... */
    static final int BACKLOG_HIGH = 65_536;
    /** ...until it is down to this. */
    static final int BACKLOG_LOW = 16_384;
    private static final long BACKLOG_PAUSE_NANOS = 20_000;
    /** At most this many pauses per check (~20 ms and more): a bound, not expected to be reached. */
    private static final int BACKLOG_MAX_PAUSES = 1000;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(Mailbox.class, "tail", Segment.class);
            HEAD = l.findVarHandle(Mailbox.class, "head", Segment.class);
            HEAD_INDEX = l.findVarHandle(Mailbox.class, "headIndex", int.class);
            WAITING_FIELD = l.findVarHandle(Mailbox.class, "waiting", byte.class);
            CLAIMED = l.findVarHandle(Segment.class, "claimed", int.class);
            NEXT = l.findVarHandle(Segment.class, "next", Segment.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * {@value #SLOTS} messages of a mailbox's queue, in arrival order. Senders claim slots by counting up
     * {@code claimed} (which passes {@value #SLOTS} when the segment is full: a sender with such a claim appends the
     * next segment instead); the owner clears each slot it takes.
     *
     * <p>The slots are fields, not an array: a sender to a mailbox that is not in its cache (one of 10,000 servers)
     * then misses on the process's line and the segment's (its claim counter and slot are one 56-byte object, on one
     * line or two), as it did with a node per message; an array would add its own.
     */
    static final class Segment {
        /** The number of the message before slot 0, in the mailbox's order of arrival (its first message is 1). */
        final int base;
        volatile int claimed;
        volatile Segment next;
        private Object s0, s1, s2, s3, s4, s5, s6, s7;

        /** A segment with {@code first} in slot 0 (claimed), or, for {@link #CLOSED} only, an empty one. */
        Segment(int base, Object first) {
            this.base = base;
            if (first != null) {
                this.s0 = first; // published with the segment (the compare-and-set that links it)
                this.claimed = 1;
            }
        }

        /** Slot {@code i}, read with acquire: a message stored there is seen whole. */
        Object get(int i) {
            return switch (i) {
                case 0 -> S0.getAcquire(this);
                case 1 -> S1.getAcquire(this);
                case 2 -> S2.getAcquire(this);
                case 3 -> S3.getAcquire(this);
                case 4 -> S4.getAcquire(this);
                case 5 -> S5.getAcquire(this);
                case 6 -> S6.getAcquire(this);
                case 7 -> S7.getAcquire(this);
                default -> throw new IndexOutOfBoundsException(i);
            };
        }

        /** Stores {@code m} in slot {@code i} with release: publishes the message to the owner. */
        void put(int i, Object m) {
            switch (i) {
                case 0 -> S0.setRelease(this, m);
                case 1 -> S1.setRelease(this, m);
                case 2 -> S2.setRelease(this, m);
                case 3 -> S3.setRelease(this, m);
                case 4 -> S4.setRelease(this, m);
                case 5 -> S5.setRelease(this, m);
                case 6 -> S6.setRelease(this, m);
                case 7 -> S7.setRelease(this, m);
                default -> throw new IndexOutOfBoundsException(i);
            }
        }

        /** Clears slot {@code i}: owner only, after taking its message (a plain store). */
        void clear(int i) {
            switch (i) {
                case 0 -> s0 = null;
                case 1 -> s1 = null;
                case 2 -> s2 = null;
                case 3 -> s3 = null;
                case 4 -> s4 = null;
                case 5 -> s5 = null;
                case 6 -> s6 = null;
                case 7 -> s7 = null;
                default -> throw new IndexOutOfBoundsException(i);
            }
        }

        private static final VarHandle S0, S1, S2, S3, S4, S5, S6, S7;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                S0 = l.findVarHandle(Segment.class, "s0", Object.class);
                S1 = l.findVarHandle(Segment.class, "s1", Object.class);
                S2 = l.findVarHandle(Segment.class, "s2", Object.class);
                S3 = l.findVarHandle(Segment.class, "s3", Object.class);
                S4 = l.findVarHandle(Segment.class, "s4", Object.class);
                S5 = l.findVarHandle(Segment.class, "s5", Object.class);
                S6 = l.findVarHandle(Segment.class, "s6", Object.class);
                S7 = l.findVarHandle(Segment.class, "s7", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private static final class Saved {
        final Object message;
        Saved next;

        Saved(Object message) {
            this.message = message;
        }
    }

    /**
     * The thread that takes messages, and the process's thread ({@link Proc} has no field of its own for it). Set once,
     * before the mailbox is shared (a process sets it just after making its thread: {@link #ownedBy}).
     */
    Thread owner;
    /** The segment senders claim in: null until the first message, {@link #CLOSED} once the owner has exited. */
    private volatile Segment tail;
    /**
     * Owner only, but for its first value: the segment the owner takes from, with {@code headIndex} the slot of the
     * next message. Null until the first sender sets it (just after it set {@code tail}); from then on written by the
     * owner alone (with release, after the index). Read by others (a sender's back-off, {@link #length()},
     * {@link #snapshot}) with acquire, then the index: an estimate, which may count taken slots but misses none.
     */
    private Segment head;
    private int headIndex;
    /** Owner only: messages taken off the queue that no receive has matched yet, oldest first. */
    private Saved savedFirst;
    private Saved savedLast;
    private int savedCount;
    /** {@link #RUNNING}, {@link #WAITING} or {@link #WOKEN}: a byte, so that {@link Proc}'s {@code woke} fits. */
    private volatile byte waiting;

    /** The owner runs (or is about to look at its mailbox again). */
    static final byte RUNNING = 0;
    /** The owner has announced that it is about to park: the next sender must wake it. */
    static final byte WAITING = 1;
    /**
     * A sender has woken the owner, which has not run since: its virtual thread waits in a carrier's queue (the
     * waker's, as the JDK's scheduler puts a thread unparked by a virtual thread there). Cleared by the owner when it
     * runs; read by the waker before and while it polls ({@code Proc.poll}).
     */
    static final byte WOKEN = 2;
    /** {@link #link}'s answers. */
    static final int REFUSED = 0, LINKED = 1, LINKED_AND_WOKE = 2;

    Mailbox(Thread owner) {
        this.owner = owner;
    }

    /** For {@link Proc}'s constructor: its thread, which needs the process, exists only after this constructor. */
    final void ownedBy(Thread thread) {
        owner = thread;
    }

    // ------------------------------------------------------------------ senders

    /** Appends {@code message}; false when the mailbox is closed (its process has exited). Any thread. */
    boolean offer(Object message) {
        return link(message) != REFUSED;
    }

    /**
     * Appends {@code message}: {@link #REFUSED} when the mailbox is closed (its process has exited), else
     * {@link #LINKED}, or {@link #LINKED_AND_WOKE} when this call unparked the owner. Any thread.
     */
    int link(Object message) {
        int number; // the message's number in the mailbox's order of arrival, for the back-off
        for (;;) {
            Segment t = tail;
            if (t == null) { // the mailbox's first message: its segment is made with the message in it
                Segment first = new Segment(0, message);
                if (TAIL.compareAndSet(this, (Segment) null, first)) {
                    // The owner's way in. Until it is set the owner sees a tail but no head, and waits (linking()).
                    HEAD.setVolatile(this, first);
                    number = 1;
                    break;
                }
                continue;
            }
            if (t == CLOSED) {
                return REFUSED;
            }
            int slot = (int) CLAIMED.getAndAdd(t, 1);
            if (slot < SLOTS) {
                t.put(slot, message);
                number = t.base + slot + 1;
                break;
            }
            if (slot >= POISON) {
                return REFUSED; // closed after this sender read the tail
            }
            Segment next = t.next;
            if (next == null) { // full: append the next segment, with this message in its slot 0
                Segment appended = new Segment(t.base + SLOTS, message);
                if (NEXT.compareAndSet(t, (Segment) null, appended)) {
                    TAIL.compareAndSet(this, t, appended); // or another sender already helped
                    number = appended.base + 1;
                    break;
                }
                next = t.next;
            }
            if (next == CLOSED) {
                return REFUSED;
            }
            TAIL.compareAndSet(this, t, next); // help the appender, then claim in its segment
        }
        if (waiting == WAITING && WAITING_FIELD.compareAndSet(this, WAITING, WOKEN)) {
            LockSupport.unpark(owner);
            IdleCarriers.woke();
            return LINKED_AND_WOKE;
        }
        if ((number & (BACKLOG_CHECK_EVERY - 1)) == 0) {
            backOffIfFarBehind(number);
        }
        return LINKED;
    }

    /**
     * A sender far ahead of the owner pauses while the owner catches up. Without it a sender faster than its receiver
     * (one-way streams: taking a message costs more than linking one) builds a backlog of millions of messages, which
     * leaves the caches and survives young collections: each one copies it, and the receiver then reads every message
     * from memory (one-way 1 -> 1: ~8 of ~17 s in G1 pauses, BENCHMARKS.md issue 16, branch i16-msg). Checked on
     * every {@value #BACKLOG_CHECK_EVERY}th message only, against the messages the owner has not looked at yet (those a
     * selective receive passed over do not count). The pause ends as soon as the owner stops making progress (it does
     * not receive, or it is not running): a sender never waits for an owner that is not draining its mailbox, so a
     * send still never blocks on its receiver, it is only slowed while the receiver is busy catching up. Only a sending
     * process pauses: a thread that is not one (the cluster's network reader, the console) never does.
     */
    private void backOffIfFarBehind(int sent) {
        if (Thread.currentThread() == owner) {
            return; // to itself: pausing cannot let the owner catch up
        }
        int seen = seenByOwner();
        if (sent - seen <= BACKLOG_HIGH) {
            return;
        }
        if (Access.currentOrNull() == null) {
            // Only a process pauses (Erlang's send penalty is a process's too). A thread that is not one may be serving
            // many processes at once: the cluster's network reader delivers every remote message on one thread, under
            // the session lock, so its pause behind one slow receiver would hold up the whole node's inbound traffic.
            return;
        }
        for (int i = 0; i < BACKLOG_MAX_PAUSES && sent - seen > BACKLOG_LOW; i++) {
            LockSupport.parkNanos(this, BACKLOG_PAUSE_NANOS);
            int now = seenByOwner();
            if (now == seen) {
                return; // no progress in a pause: the owner is not draining, do not wait for it
            }
            seen = now;
        }
    }

    /**
     * The number of the last message the owner has looked at: a racy read of its head and index (see {@link #next()}),
     * an estimate that may lag; a stale one can only cost one pause more or less.
     */
    private int seenByOwner() {
        Segment h = (Segment) HEAD.getAcquire(this);
        return h == null ? 0 : h.base + (int) HEAD_INDEX.getOpaque(this);
    }

    // ------------------------------------------------------------------ owner

    /**
     * Takes the oldest message matching any of {@code patterns} (all messages when there are none), or returns
     * {@link #NONE}. With {@code scanSaved} false only newly arrived messages are looked at: the save queue was
     * already scanned with these patterns by this receive.
     */
    Object take(Object patterns, boolean scanSaved) {
        if (scanSaved && savedFirst != null) {
            Saved prev = null;
            for (Saved s = savedFirst; s != null; prev = s, s = s.next) {
                if (matches(patterns, s.message)) {
                    unlinkSaved(prev, s);
                    return s.message;
                }
            }
        }
        for (;;) {
            Object message = next();
            if (message == null) {
                return NONE;
            }
            if (message instanceof Encoded e
                    && (message = e.decode()) == Encoded.REFUSED) {
                continue; // from another node, unreadable here: a dead letter incompatible already (Encoded.decode)
            }
            boolean matched;
            try {
                matched = matches(patterns, message);
            } catch (Throwable e) {
                save(message); // a pattern that throws (even a sneaky checked exception) must not lose the message
                throw Mailbox.<RuntimeException>sneaky(e);
            }
            if (matched) {
                return message;
            }
            save(message);
        }
    }

    /** Takes the next message off the queue, or returns null when none is stored yet. Owner only. */
    private Object next() {
        Segment h = head;
        if (h == null && (h = (Segment) HEAD.getVolatile(this)) == null) {
            return null;
        }
        int i = headIndex;
        if (i == SLOTS) { // all taken: on to the next segment, if one is linked
            Segment n = h.next;
            if (n == null || n == CLOSED) {
                return null;
            }
            // The index first, then the head with release: a reader (length, snapshot) that sees the new head sees this
            // index or a later one; with the old head and a new index it only walks taken (cleared) slots.
            headIndex = 0;
            HEAD.setRelease(this, n); // the taken segment is garbage now (a sender may still read it, and find it full)
            h = n;
            i = 0;
        }
        Object message = h.get(i);
        if (message == null) {
            return null; // not claimed yet, or claimed and about to be stored (linking() tells which)
        }
        h.clear(i); // the mailbox keeps its last segment: it must not keep the messages too
        headIndex = i + 1;
        return message;
    }

    /** Whether a message has arrived that no take has looked at yet. Owner only. */
    boolean hasArrivals() {
        Segment h = head;
        if (h == null && (h = (Segment) HEAD.getVolatile(this)) == null) {
            return false;
        }
        int i = headIndex;
        if (i == SLOTS) {
            Segment n = h.next;
            return n != null && n != CLOSED; // slot 0 of a linked segment always holds its appender's message
        }
        return h.get(i) != null;
    }

    /**
     * Whether a sender has made a message known that the queue does not show yet: it has claimed the next slot but
     * not yet stored its message there, or it has set the tail for the first message but not yet the head (it is
     * between two instructions of {@link #link}). Owner only, after {@link #announceWaiting()} and a {@link #take}
     * that found nothing new: then the owner must not park, as that sender may have read {@code waiting} before the
     * announcement and will not unpark it; the message is a moment away. A claim past the segment's end is no such
     * message: its sender links a new segment, and sees the announcement after doing so, or the owner's take (which
     * reads {@code next} once it has taken the last slot) sees the segment.
     */
    boolean linking() {
        Segment h = (Segment) HEAD.getVolatile(this);
        if (h == null) {
            Segment t = tail;
            return t != null && t != CLOSED;
        }
        return Math.min((int) CLAIMED.getVolatile(h), SLOTS) > headIndex;
    }

    /** The owner is about to park: from now on a sender must wake it. */
    void announceWaiting() {
        waiting = WAITING;
    }

    void clearWaiting() {
        waiting = RUNNING;
    }

    boolean isWaiting() {
        return waiting == WAITING;
    }

    /**
     * Whether a sender woke the owner and it has not run since. Any thread; {@code Proc.poll} asks it of the process
     * its own last send woke: while that one waits in the waker's carrier queue, a busy poll for its reply would only
     * keep it from running.
     */
    boolean wokenNotRun() {
        return waiting == WOKEN;
    }

    /**
     * The owner, unparked, is running: answers {@link #wokenNotRun()} for its waker. An opaque store, not a volatile
     * one: the waker's read is a hint for its spin decision, and this runs on every wake-up.
     */
    void running() {
        WAITING_FIELD.setOpaque(this, RUNNING);
    }

    /**
     * Closes the mailbox for good and returns every message no receive took, oldest first. Owner only, once.
     * Senders that claimed a slot before the close are waited for (they are between two instructions).
     */
    List<Object> close() {
        List<Object> rest = new ArrayList<>(savedCount); // before the swap: nothing between it and the poison allocates
        Segment last = (Segment) TAIL.getAndSet(this, CLOSED); // from now on a sender that reads the tail is refused
        for (Saved s = savedFirst; s != null; s = s.next) {
            rest.add(s.message);
        }
        savedFirst = savedLast = null;
        savedCount = 0;
        if (last == null) {
            return rest; // never had a message
        }
        Segment s;
        while ((s = (Segment) HEAD.getVolatile(this)) == null) {
            Thread.onSpinWait(); // the first sender has set the tail, and is about to set the head
        }
        int i = headIndex;
        for (;;) {
            // A sender that read the tail before the swap may still claim in this segment: after the poison its claim
            // is refused; every claim before it is a message, which its sender is about to store.
            int claimed = (int) CLAIMED.getAndAdd(s, POISON);
            for (int end = Math.min(claimed, SLOTS); i < end; i++) {
                Object m;
                while ((m = s.get(i)) == null) {
                    Thread.onSpinWait();
                }
                rest.add(m);
                s.clear(i);
            }
            // Seal the chain: a sender that found this segment full is refused, unless it linked its segment first.
            Segment n = s.next;
            if (n == null && NEXT.compareAndSet(s, (Segment) null, CLOSED)) {
                break;
            }
            n = s.next;
            if (n == CLOSED) {
                break;
            }
            s = n;
            i = 0;
        }
        head = s;
        headIndex = SLOTS;
        return rest;
    }

    /** The number of messages waiting, counted on the spot: exact for the owner, a snapshot for anyone else. */
    int length() {
        return length(Integer.MAX_VALUE);
    }

    /** {@link #length()}, counting no further than {@code max} (the save queue is counted at once). */
    int length(int max) {
        return queued(savedCount, max);
    }

    /**
     * {@link #length(int)} for a decision that the mailbox is short (another thread's): the save queue is counted after
     * the queue, so a message the owner moves from the one to the other meanwhile counts once or twice, but for the one
     * in transit (its slot cleared, not yet counted saved). {@link #length(int)} counts the save queue first, and
     * misses every message moved during its walk: a selective receive that was moving hundreds made a mailbox of 1,001
     * read under 500, and the system monitor cleared its long-queue alert and raised it again at the next sample (one
     * run in about nine of its test). (The owner's slot clearing and count are plain stores, as for {@link #snapshot}:
     * where they become visible out of order, a weakly ordered CPU, a few more moving messages can be missed.)
     */
    int lengthNotUnder(int max) {
        int n = queued(0, max);
        VarHandle.loadLoadFence(); // the save queue's count is read after the queue
        return (int) Math.min(max, (long) n + savedCount);
    }

    /** {@code n} plus the messages in the queue, counting no further than {@code max}. */
    private int queued(int n, int max) {
        Segment s = (Segment) HEAD.getAcquire(this); // then the index: see next()
        for (int i = s == null ? 0 : (int) HEAD_INDEX.getOpaque(this); s != null && s != CLOSED && n < max;
                s = s.next, i = 0) {
            for (; i < SLOTS && n < max; i++) {
                if (s.get(i) != null) {
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Up to {@code max} of the messages waiting, oldest first: those a selective receive passed over (the save queue,
     * which arrived before any still queued), then the queue. For an observer on another thread; it only reads, so the
     * owner and the senders go on as if nobody looked (no field, no write, no lock added to send or receive).
     *
     * <p>While the owner receives, the result is a sample, as {@link #length()} is: every message in it was waiting
     * during the call, in arrival order, but one the owner takes meanwhile may be missing. A message only ever moves
     * from the queue to the save queue; the owner clears the slot before it saves the message, and this reads the save
     * queue before the queue (with a load-load fence between), so a message moved during the call is missed rather
     * than shown twice; a cleared or not yet stored slot (null: no message is null, {@code ProcessTable.send} refuses
     * it) is skipped. (The owner's two stores are plain, to keep receive as it is: where they become visible out of
     * order, a weakly ordered CPU or a compiler that sank the clearing store, a moved message can rarely show twice in
     * the sample; the mailbox itself is never changed.) Walking a racy snapshot of the save queue is safe: a saved
     * message is final, and every {@code next} points to a later node, so the walk ends. An older head read here only
     * starts the walk at taken (cleared) slots.
     */
    List<Object> snapshot(int max) {
        List<Object> out = new ArrayList<>(Math.min(Math.max(max, 0), 32));
        for (Saved s = savedFirst; s != null && out.size() < max; s = s.next) {
            out.add(s.message);
        }
        VarHandle.loadLoadFence(); // the save queue is read before the queue: see above
        Segment s = (Segment) HEAD.getAcquire(this); // then the index: see next()
        for (int i = s == null ? 0 : (int) HEAD_INDEX.getOpaque(this); s != null && s != CLOSED && out.size() < max;
                s = s.next, i = 0) {
            for (; i < SLOTS && out.size() < max; i++) {
                Object m = s.get(i);
                if (m != null) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ internals
    /**
     * Whether {@code message} matches {@code patterns}: one pattern, or an array of them (any may match; none matches
     * anything). One pattern needs no array: a process waiting in {@code receive(STOP)} keeps none alive (24 bytes).
     */
    static boolean matches(Object patterns, Object message) {
        if (!(patterns instanceof Object[] ps)) {
            return Terms.matches(patterns, message);
        }
        if (ps.length == 0) {
            return true;
        }
        for (Object p : ps) {
            if (Terms.matches(p, message)) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    private void save(Object message) {
        Saved s = new Saved(message);
        if (savedLast == null) {
            savedFirst = s;
        } else {
            savedLast.next = s;
        }
        savedLast = s;
        savedCount++;
    }

    private void unlinkSaved(Saved prev, Saved s) {
        if (prev == null) {
            savedFirst = s.next;
        } else {
            prev.next = s.next;
        }
        if (savedLast == s) {
            savedLast = prev;
        }
        savedCount--;
    }
}
