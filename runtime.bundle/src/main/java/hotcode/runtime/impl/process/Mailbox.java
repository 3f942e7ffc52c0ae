package hotcode.runtime.impl.process;

import hotcode.runtime.api.Terms;

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
 * <p>Waking the owner is a Dekker hand-off on {@code waiting}: the owner announces it is about to park and looks once
 * more; a sender links its message and unparks the owner only if it wins the 1 -> 0 transition. All accesses are
 * volatile, so the JMM's sequential consistency for them rules out the lost wake-up.
 *
 * <p>{@link #close()} swaps the tail for a sentinel in one atomic step, so every message either made it in before
 * the close (and is returned by it) or is refused to its sender ({@link #offer} returns false): none is lost.
 *
 * <p>A process <em>is</em> its mailbox ({@link Proc} extends this class): one object header and one reference less
 * per process (16 bytes of a waiting process, after alignment; issue 16).
 */
class Mailbox extends MailboxNode {
    /** Returned by {@link #take} when no message matches. */
    static final Object NONE = new Object();

    private static final MailboxNode CLOSED = new MailboxNode(null);
    private static final VarHandle TAIL;
    private static final VarHandle WAITING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(Mailbox.class, "tail", MailboxNode.class);
            WAITING = l.findVarHandle(Mailbox.class, "waiting", int.class);
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

    /** Set once, before the mailbox is shared (a process sets it just after making its thread: {@link #ownedBy}). */
    private Thread owner;
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
    @SuppressWarnings("unused")
    private volatile int waiting;

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
        MailboxNode node = new MailboxNode(message);
        MailboxNode t;
        do {
            t = tail;
            if (t == CLOSED) {
                return false;
            }
        } while (!TAIL.weakCompareAndSet(this, t, node));
        t.next = node;
        if (waiting == 1 && WAITING.compareAndSet(this, 1, 0)) {
            LockSupport.unpark(owner);
        }
        return true;
    }

    // ------------------------------------------------------------------ owner

    /**
     * Takes the oldest message matching any of {@code patterns} (all messages when there are none), or returns
     * {@link #NONE}. With {@code scanSaved} false only newly arrived messages are looked at: the save queue was
     * already scanned with these patterns by this receive.
     */
    Object take(Object[] patterns, boolean scanSaved) {
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
            if (message instanceof hotcode.runtime.spi.node.Encoded e
                    && (message = e.decode()) == hotcode.runtime.spi.node.Encoded.REFUSED) {
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

    /** The owner is about to park: from now on a sender must wake it. */
    void announceWaiting() {
        waiting = 1;
    }

    void clearWaiting() {
        waiting = 0;
    }

    boolean isWaiting() {
        return waiting == 1;
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

    static boolean matches(Object[] patterns, Object message) {
        if (patterns.length == 0) {
            return true;
        }
        for (Object p : patterns) {
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
