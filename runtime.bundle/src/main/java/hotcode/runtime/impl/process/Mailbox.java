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
 * A process's mailbox: many senders, one owner. Senders link messages onto a lock-free queue; the owner takes them
 * in arrival order. Messages a selective receive passes over move to a private <em>save queue</em> (Erlang's save
 * pointer) and are offered first to the next receive, so unmatched messages keep their order.
 *
 * <p>Waking the owner is a Dekker hand-off between {@code tail} and {@code waiting}: the owner announces it is about to
 * park, then looks once more, at the queue and, if that is empty, at the tail ({@link #linking()}); a sender swings
 * the tail and unparks the owner only if it then wins the {@link #WAITING} -> {@link #WOKEN} transition. Both pairs
 * of accesses are volatile, so the JMM's sequential consistency for them rules out the lost wake-up: either the
 * sender sees the announcement, or the owner sees the new tail and waits for the link instead of parking. The link
 * itself ({@code next}) is a release store: it publishes the message, and needs no fence of its own (one fewer per
 * message sent). The woken owner shows {@link #WOKEN} until it runs, which tells its waker (who learns from
 * {@link #link} that it woke it) that a poll for its reply would only hold the carrier it waits for
 * ({@code Proc.poll}).
 *
 * <p>A sender far ahead of an owner that is draining the queue pauses briefly ({@link #backOffIfFarBehind}): a stream
 * faster than its receiver would otherwise pile up millions of messages for the garbage collector to copy.
 *
 * <p>{@link #close()} swaps the tail for a sentinel in one atomic step, so every message either made it in before
 * the close (and is returned by it) or is refused to its sender ({@link #link} returns {@link #REFUSED}): none is lost.
 *
 * <p>A process <em>is</em> its mailbox ({@link Proc} extends this class): one object header and one reference less
 * per process (16 bytes of a waiting process, after alignment; issue 16).
 */
class Mailbox extends MailboxNode {
    /** Returned by {@link #take} when no message matches. */
    static final Object NONE = new Object();

    private static final MailboxNode CLOSED = new MailboxNode(null);
    private static final VarHandle TAIL;
    private static final VarHandle WAITING_FIELD;
    private static final VarHandle NEXT;
    private static final VarHandle HEAD;
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
            TAIL = l.findVarHandle(Mailbox.class, "tail", MailboxNode.class);
            WAITING_FIELD = l.findVarHandle(Mailbox.class, "waiting", byte.class);
            NEXT = l.findVarHandle(MailboxNode.class, "next", MailboxNode.class);
            HEAD = l.findVarHandle(Mailbox.class, "head", MailboxNode.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
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
    /** The last linked node, written by senders; {@link #CLOSED} once the owner has exited. */
    private volatile MailboxNode tail;
    /**
     * Owner only: the node before the first message not yet taken (a stub whose message is already gone; at first
     * the mailbox itself). Plain: {@link #length()} from another thread may see an older node, which over-counts,
     * or the mailbox itself after its link was cleared, which counts the save queue only (a sample, see there).
     */
    private MailboxNode head;
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
        super(null);
        this.owner = owner;
        // The mailbox is its queue's first stub: an empty mailbox, the state of most processes, costs no node.
        this.head = this;
        this.tail = this;
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
        MessageNode node = new MessageNode(message);
        MailboxNode t;
        do {
            t = tail;
            if (t == CLOSED) {
                return REFUSED;
            }
            node.seq = seq(t) + 1; // before the swing publishes the node: the next sender numbers its own from it
        } while (!TAIL.weakCompareAndSet(this, t, node));
        // A release store, not a volatile one: the compare-and-set above already orders this send before the read of
        // waiting below (the Dekker pair is tail/waiting, see linking()), so a full fence here would only cost time.
        NEXT.setRelease(t, node);
        if (waiting == WAITING && WAITING_FIELD.compareAndSet(this, WAITING, WOKEN)) {
            LockSupport.unpark(owner);
            IdleCarriers.woke();
            return LINKED_AND_WOKE;
        }
        if ((node.seq & (BACKLOG_CHECK_EVERY - 1)) == 0) {
            backOffIfFarBehind(node.seq);
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
        // A racy read of the owner's progress, an estimate: a stale one can only cost one pause more.
        int seen = seq((MailboxNode) HEAD.getOpaque(this));
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
            int now = seq((MailboxNode) HEAD.getOpaque(this));
            if (now == seen) {
                return; // no progress in a pause: the owner is not draining, do not wait for it
            }
            seen = now;
        }
    }

    /** The number of {@code x} in this mailbox's sequence of messages: 0 for the mailbox itself, the first stub. */
    private int seq(MailboxNode x) {
        return x == this ? 0 : ((MessageNode) x).seq;
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
            MailboxNode h = head;
            MailboxNode n = h.next;
            if (n == null) {
                return NONE;
            }
            Object message = n.message;
            n.message = null;
            head = n;
            if (h == this) {
                next = null; // the mailbox stays reachable: its link must not keep every node taken since alive
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

    /** Whether a message has arrived that no take has looked at yet. Owner only. */
    boolean hasArrivals() {
        return head.next != null;
    }

    /**
     * Whether a sender has linked a message that the queue does not show yet: it has swung the tail but not yet
     * stored the link (it is between two instructions of {@link #link}). Owner only, after {@link #announceWaiting()}
     * and a {@link #take} that found nothing new: then the owner must not park, as that sender may have read
     * {@code waiting} before the announcement and will not unpark it; the link is a moment away.
     */
    boolean linking() {
        return tail != head;
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
     * Senders that linked before the close are waited for (they are between two instructions).
     */
    List<Object> close() {
        MailboxNode last = (MailboxNode) TAIL.getAndSet(this, CLOSED);
        List<Object> rest = new ArrayList<>(savedCount);
        for (Saved s = savedFirst; s != null; s = s.next) {
            rest.add(s.message);
        }
        savedFirst = savedLast = null;
        savedCount = 0;
        MailboxNode h = head;
        while (h != last) {
            MailboxNode n;
            while ((n = h.next) == null) {
                Thread.onSpinWait();
            }
            rest.add(n.message);
            n.message = null;
            h = n;
        }
        head = h;
        next = null; // as in take: the mailbox (the first stub) must not hold the nodes
        return rest;
    }

    /** The number of messages waiting, counted on the spot: exact for the owner, a snapshot for anyone else. */
    int length() {
        int n = savedCount;
        for (MailboxNode x = head.next; x != null; x = x.next) {
            n++;
        }
        return n;
    }

    /** {@link #length()}, counting no further than {@code max} (the save queue is counted at once). */
    int length(int max) {
        int n = savedCount;
        for (MailboxNode x = head.next; x != null && n < max; x = x.next) {
            n++;
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
     * from the queue to the save queue; the owner clears the node's message before it saves it, and this reads the
     * save queue before the queue (with a load-load fence between), so a message moved during the call is missed
     * rather than shown twice; a cleared node (null: no message is null, {@code ProcessTable.send} refuses it) is
     * skipped. (The owner's two stores are plain, to keep receive as it is: where they become visible out of order, a
     * weakly ordered CPU or a compiler that sank the clearing store, a moved message can rarely show twice in the
     * sample; the mailbox itself is never changed.) Walking a racy snapshot of the save queue is safe: a saved
     * message is final, and every {@code next} points to a later node, so the walk ends. The queue's nodes are reached
     * through volatile links from the sender's write of their message. An older {@code head} read here only starts the
     * walk at taken (cleared) nodes; the one blind spot is the owner's very first take, which clears the mailbox's own
     * link: a reader that still sees the mailbox as head then sees the save queue only.
     */
    List<Object> snapshot(int max) {
        List<Object> out = new ArrayList<>(Math.min(Math.max(max, 0), 32));
        for (Saved s = savedFirst; s != null && out.size() < max; s = s.next) {
            out.add(s.message);
        }
        VarHandle.loadLoadFence(); // the save queue is read before the queue: see above
        for (MailboxNode x = head.next; x != null && out.size() < max; x = x.next) {
            Object m = x.message;
            if (m != null) {
                out.add(m);
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

/**
 * A link of a {@link Mailbox}'s queue of arrived messages. The mailbox extends it to be the queue's first stub, so a
 * waiting process with an empty mailbox has no node (16-24 bytes less per process).
 */
class MailboxNode {
    Object message;
    volatile MailboxNode next;

    MailboxNode(Object message) {
        this.message = message;
    }
}

/**
 * A link that carries a message, numbered in its mailbox's order of arrival (a sender's back-off compares numbers).
 * The number fits in the node's alignment padding (24 bytes with or without it); the mailbox, the first stub, has
 * none (it counts as 0), so a process pays nothing for it.
 */
final class MessageNode extends MailboxNode {
    int seq;

    MessageNode(Object message) {
        super(message);
    }
}
