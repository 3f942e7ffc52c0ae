package hotcode.cluster.impl;

import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;

import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import static hotcode.cluster.impl.ClusterNode.INCOMPATIBLE;
import static hotcode.cluster.impl.ClusterNode.LOG;
import static hotcode.cluster.impl.ClusterNode.NOCONNECTION;

/**
 * Sessions and delivery accounting: how a message crosses from one node to another at most once and is never lost
 * silently. JGroups' UNICAST3 delivers reliably and in order per sender while both ends stay in the view, and drops
 * what is in flight to a member that leaves it. On top of that each ordered pair of nodes has a session (a random
 * epoch, new when a node first sees the other, {@link Peer#epoch}) and a sequence number per message; the receiver
 * delivers a number once (a number it has delivered is a duplicate, counted and dropped; a number of a session that
 * ended is refused) and acknowledges the highest it delivered; the sender keeps what is not acknowledged. When a
 * node goes ({@link #nodeDown}), what was queued and never handed to JGroups is a dead letter {@code noconnection},
 * and what is not acknowledged is counted <em>in doubt</em> (it may or may not have been delivered).
 *
 * <p>Also the pair's queue: every frame to a member (messages, and the signals of {@link Links} and the other
 * protocols) goes through one queue per member, flushed by one thread at a time, several frames in one JGroups
 * message, so that messages and signals between two nodes keep their order as Erlang keeps the order of signals
 * between two processes.
 */
final class Sessions {
    /** The receiver acknowledges at once after this many messages, else within {@link #ACK_MILLIS}. */
    private static final int ACK_EVERY = 64;
    static final long ACK_MILLIS = 20;
    /** How much may wait for one member before its senders wait (back-pressure). */
    private static final int MAX_OUTBOX_BYTES = 4 << 20;
    /**
     * A message sent within this time after the pair's last flush ended is part of a stream and is flushed by the
     * flusher, so that the sender's next messages join it in a batch; a message after a longer pause (a ping-pong's
     * round trip is tens of microseconds or more) is flushed at once by its sender.
     */
    private static final long STREAM_NANOS = Long.getLong("hotcode.cluster.streamNanos", 20_000);

    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final Frames frames;
    private final JChannel channel;
    /** Takes over flushing from a sender that has flushed for others long enough (virtual threads: cheap, many). */
    private final ExecutorService flusher;
    private final Membership membership;

    final AtomicLong sent = new AtomicLong(), delivered = new AtomicLong(), duplicates = new AtomicLong(),
            inDoubt = new AtomicLong(), refused = new AtomicLong(), malformed = new AtomicLong();
    final Deque<String> recentInDoubt = new ConcurrentLinkedDeque<>();
    /** Told every message counted in doubt (tests check each against the receiver's record); null: nobody. */
    volatile java.util.function.BiConsumer<Pid, Object> inDoubtListener;
    /** Per node and incarnation, the sessions from it that have ended (a few longs per partition it went through). */
    private final Map<String, Set<Long>> endedSessions = new ConcurrentHashMap<>();

    Sessions(LocalNode local, String name, long incarnation, Frames frames, JChannel channel, ExecutorService flusher,
             Membership membership) {
        this.local = local;
        this.name = name;
        this.incarnation = incarnation;
        this.frames = frames;
        this.channel = channel;
        this.flusher = flusher;
        this.membership = membership;
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends {@code message} from {@code from} (null: none) to {@code to} on {@code p}, numbered in the pair's sequence:
     * encoded straight into the pair's batch ({@link FrameBuffer}), so its bytes are written once. Throws
     * {@link hotcode.runtime.api.IncompatibleValueException}, nothing queued and no number taken, for a value that
     * has no neutral form (the caller counts the dead letter).
     */
    void send(Peer p, RemotePid to, Pid from, Object message) {
        sendMessage(p, to, from, message, null);
    }

    /** Tests: a message whose value is {@code value}, already encoded. */
    void sendValue(Peer p, RemotePid to, Pid from, Object message, byte[] value) {
        sendMessage(p, to, from, message, value);
    }

    /** {@link #send(Peer, RemotePid, Pid, Object)}; {@code value} not null: the value already encoded. */
    private void sendMessage(Peer p, RemotePid to, Pid from, Object message, byte[] value) {
        if (value == null && Codec.runsModuleCode(message)) {
            // a record's accessors or a module's collection run here, before the pair's lock (Codec.runsModuleCode):
            // slow module code must not hold up JGroups' reader, which takes the lock to acknowledge, and module
            // code that sends to the same member must not write its frame inside this one. Throws, nothing queued,
            // for a value with no neutral form.
            value = encodeAlone(message);
        }
        boolean flushHere = false;
        boolean streaming = false;
        int queued = 0;
        RuntimeException noNeutralForm = null;
        synchronized (p) { // one sequence per pair, queued in that order
            waitForRoom(p);
            if (p.gone) { // checked after the wait too: the member may go while a sender waits for room
                local.deadLetter(to, message, NOCONNECTION, from);
                return;
            }
            try {
                queueMessage(p, to, from, message, value);
                queued++;
            } catch (RuntimeException e) { // no neutral form (IncompatibleValueException): as if never sent
                noNeutralForm = e;
            }
            if (queued > 0) {
                flushHere = claimFlush(p);
                if (flushHere) {
                    streaming = System.nanoTime() - p.lastFlushEnd < STREAM_NANOS;
                }
            }
        }
        sent.addAndGet(queued);
        if (flushHere) {
            if (streaming) {
                // the last flush just ended: a stream. Flushed by the flusher, so this sender goes on queueing
                // meanwhile and what it queues leaves as one batch (one JGroups message, not one per message)
                flushLater(p);
            } else {
                flush(p); // a single send (a request, a reply): at once, on this thread, no hand-off
            }
        }
        if (noNeutralForm != null) {
            throw noNeutralForm;
        }
    }

    /** {@code message}'s value in the neutral form, on its own (not into a batch). */
    private byte[] encodeAlone(Object message) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(64);
        try {
            frames.codec.write(new java.io.DataOutputStream(bytes), message);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a value to memory", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes a message frame into the pair's batch, numbered next, and keeps it until acknowledged (the caller holds
     * {@code p}'s lock). Throws, nothing written and no number taken, for a value with no neutral form.
     */
    private void queueMessage(Peer p, RemotePid to, Pid from, Object message, byte[] value) {
        FrameBuffer b = outbox(p);
        int mark = b.size();
        long seq = p.nextSeq + 1;
        try {
            b.out.writeInt(0); // the frame's length, written below
            frames.msgHeader(b.out, p, p.epoch, seq, to.id(), from == null ? 0 : from.id());
            if (value != null) {
                b.out.write(value);
            } else {
                frames.codec.write(b.out, message);
            }
        } catch (IOException e) {
            b.truncate(mark);
            throw new IllegalStateException("cannot write a frame to memory", e);
        } catch (RuntimeException e) {
            b.truncate(mark);
            throw e;
        }
        b.putInt(mark, b.size() - mark - 4);
        b.frames++;
        p.nextSeq = seq;
        Peer.Pending m = new Peer.Pending(seq, to, from, message);
        p.unacked.add(m);
        p.outboxMessages.add(m);
    }

    /**
     * A sending process that finds the pair's queue full (a flusher is busy and 4 MB wait) waits for it (the caller
     * holds {@code p}'s lock): the back-pressure a fast sender needs. Every frame to a member goes through this
     * queue, so messages and signals (links, exits, monitors) keep their order between two nodes, as Erlang keeps the
     * order of signals between two processes. Only a process sending a message waits; acknowledgements and signals,
     * which JGroups' own threads send while they deliver, never do: two nodes sending hard to each other must not
     * wait for each other's delivery threads.
     */
    private void waitForRoom(Peer p) {
        while (p.flushing && p.outbox != null && p.outbox.size() > MAX_OUTBOX_BYTES && !p.gone) {
            try {
                p.wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /** The pair's batch being filled (the caller holds {@code p}'s lock). */
    private FrameBuffer outbox(Peer p) {
        FrameBuffer b = p.outbox;
        if (b == null) {
            b = p.outbox = frames.newBatch(p, 256);
        }
        return b;
    }

    /** Queues a whole frame (the caller holds {@code p}'s lock). */
    private void append(Peer p, byte[] frame) {
        FrameBuffer b = outbox(p);
        try {
            b.out.writeInt(frame.length);
            b.out.write(frame);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a frame to memory", e);
        }
        b.frames++;
    }

    /** True when the caller is to flush (nobody flushes {@code p} yet); the caller holds {@code p}'s lock. */
    private static boolean claimFlush(Peer p) {
        if (p.flushing) {
            return false;
        }
        p.flushing = true;
        return true;
    }

    /**
     * Queues {@code frame} first for a member just met, before anything another thread sends it once it is published
     * (its hello: it refuses frames from a node that has not said hello); the caller flushes it ({@link #flushLater}).
     */
    void queueFirst(Peer p, byte[] frame) {
        synchronized (p) {
            append(p, frame);
            p.flushing = true;
        }
    }

    /**
     * Hands what is queued for {@code p} to JGroups, all of it in one message (what accumulated while the last one
     * was being sent): the first sender to find the queue idle flushes, the others only queue. After a few rounds the
     * flusher hands over to a pool thread, so a sending process is not kept flushing for others for long.
     */
    private void flush(Peer p) {
        for (int round = 0; ; round++) {
            FrameBuffer queued;
            List<Peer.Pending> messages;
            synchronized (p) {
                if (p.outbox == null || p.outbox.empty()) {
                    p.flushing = false;
                    p.lastFlushEnd = System.nanoTime();
                    p.notifyAll();
                    return;
                }
                if (round == 8) {
                    flusher.execute(() -> flush(p));
                    return;
                }
                queued = p.outbox;
                messages = p.outboxMessages;
                // the next batch starts as big as this one was (a stream fills it again), within reason
                p.outbox = frames.newBatch(p, Math.min(queued.size(), 64 << 10));
                p.outboxMessages = new ArrayList<>();
                p.notifyAll();
            }
            try {
                channel.send(new BytesMessage(p.address, queued.sealed(), 0, queued.size()));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "node " + name + ": " + queued.frames + " frame(s) to " + p.name
                        + " not sent: " + e);
                synchronized (p) {
                    p.unacked.removeAll(messages);
                }
                for (Peer.Pending m : messages) {
                    local.deadLetter(m.to(), m.message(), NOCONNECTION, m.from());
                }
            }
        }
    }

    /** Sends a frame to {@code p} after everything queued for it before (see {@link #waitForRoom}). */
    void send(Peer p, byte[] frame) {
        boolean flushHere;
        synchronized (p) {
            if (p.gone) {
                return; // its links and monitors have fired noconnection already
            }
            append(p, frame);
            flushHere = claimFlush(p);
        }
        if (flushHere) {
            // not inline: signals and acknowledgements are mostly sent by JGroups' reader thread, which delivers
            // directly (ClusterConfig) and must keep reading: a flush may carry other senders' queued messages and
            // wait in flow control for credits that only that reader can bring in
            flushLater(p);
        }
    }

    /** Flushes {@code p} on a thread of its own; after close (the flusher shut down) the frames stay unsent. */
    void flushLater(Peer p) {
        try {
            flusher.execute(() -> flush(p));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the channel goes too, and nodeDown accounts for what was queued
        }
    }

    // ------------------------------------------------------------------ receiving

    /**
     * A message frame from {@code p}; {@code in} is at its body, which is {@code bytes[start..end)} ({@code start} at
     * the header). Delivered, once and in order, means put in the receiving process's mailbox, still encoded
     * ({@link EncodedMessage}): it is decoded at that process's receive.
     */
    void onMessage(Peer p, DataInput in, byte[] bytes, int start, int end) throws IOException {
        long epoch = in.readLong();
        long seq = in.readLong();
        long target = in.readLong();
        long from = in.readLong();
        if (start + Frames.MSG_VALUE > end) {
            throw new IOException("a message frame without a value");
        }
        boolean ackNow;
        synchronized (p.in) {
            if (epoch != p.inEpoch) {
                Set<Long> ended = endedSessions.computeIfAbsent(p.key(), k -> ConcurrentHashMap.newKeySet());
                if (ended.contains(epoch)) {
                    // a retransmission from a session that ended when a partition split us: its sender counted these
                    // in doubt; delivering them now could deliver one twice, so they are dropped and counted
                    refused.incrementAndGet();
                    warnLimited("node " + name + ": message " + seq + " from " + p.name
                            + " of an ended session dropped (counted in doubt by its sender)");
                    return;
                }
                if (p.inEpoch != 0) {
                    ended.add(p.inEpoch);
                }
                p.inEpoch = epoch; // a new session from that node (it saw this node anew): numbering restarts
                p.deliveredSeq = 0;
            }
            if (seq <= p.deliveredSeq) {
                duplicates.incrementAndGet();
                LOG.log(System.Logger.Level.DEBUG, "duplicate message " + seq + " from " + p.name + " dropped");
                return;
            }
            if (seq != p.deliveredSeq + 1) {
                LOG.log(System.Logger.Level.WARNING, "messages " + (p.deliveredSeq + 1) + ".." + (seq - 1) + " from "
                        + p.name + " never arrived (the sender counts them in doubt)");
            }
            p.deliveredSeq = seq;
            ackNow = ++p.sinceAck >= ACK_EVERY;
            // delivered inside the lock: two JGroups threads never reorder one sender's messages
            delivered.incrementAndGet();
            local.send(target, new EncodedMessage(this, p, from, target,
                    java.util.Arrays.copyOfRange(bytes, start + Frames.MSG_VALUE, end)));
        }
        if (ackNow) {
            sendAck(p);
        }
    }

    Codec codec() {
        return frames.codec;
    }

    /**
     * A message's value that the receiving process's node cannot read, found at its receive ({@link EncodedMessage}):
     * a dead letter {@code incompatible} there, naming its sender, as a value of another version is refused locally;
     * the receive goes on with the next message. {@code malformed}: not even a value in the neutral form (counted).
     */
    void refusedAtReceive(EncodedMessage m, String why, boolean malformedValue) {
        if (malformedValue) {
            malformed.incrementAndGet();
        }
        LOG.log(System.Logger.Level.WARNING, "message from node " + m.peer.name + " to <0." + m.target + ".0> refused"
                + " at its receive: " + why);
        Pid to = local.pid(m.target);
        local.deadLetter(to != null ? to : new RemotePid(name, incarnation, m.target, 0),
                "<unreadable value from node " + m.peer.name + ": " + why + ">", INCOMPATIBLE, m.from());
    }

    void onAck(Peer p, long epoch, long upTo) {
        if (epoch != p.epoch) {
            return; // an acknowledgement of an earlier session
        }
        synchronized (p) {
            while (!p.unacked.isEmpty() && p.unacked.peekFirst().seq() <= upTo) {
                p.unacked.pollFirst();
            }
        }
    }

    /** Acknowledges to every member what it sent since the last acknowledgement (every {@link #ACK_MILLIS}). */
    void flushAcks() {
        for (Peer p : membership.peers()) {
            boolean due;
            synchronized (p.in) {
                due = p.sinceAck > 0;
            }
            if (due) {
                sendAck(p);
            }
        }
    }

    private void sendAck(Peer p) {
        long epoch;
        long upTo;
        synchronized (p.in) {
            epoch = p.inEpoch;
            upTo = p.deliveredSeq;
            p.sinceAck = 0;
        }
        send(p, frames.frame(Frames.ACK, p, out -> {
            out.writeLong(epoch);
            out.writeLong(upTo);
        }));
    }

    // ------------------------------------------------------------------ a node goes

    /**
     * Ends the session to {@code p}: what was queued and never handed to JGroups is a dead letter
     * {@code noconnection} (not delivered, for certain), what is not acknowledged is counted in doubt. Returns how
     * many are in doubt.
     */
    int nodeDown(Peer p) {
        int doubt;
        synchronized (p) {
            p.gone = true;
            // queued but never handed to JGroups: not delivered, for certain
            Set<Peer.Pending> unsent = new java.util.HashSet<>(p.outboxMessages);
            p.unacked.removeIf(unsent::contains);
            doubt = p.unacked.size();
            for (Peer.Pending m : unsent) {
                local.deadLetter(m.to(), m.message(), NOCONNECTION, m.from());
            }
            java.util.function.BiConsumer<Pid, Object> listener = inDoubtListener;
            for (Peer.Pending m : p.unacked) {
                if (listener != null) {
                    listener.accept(m.to(), m.message());
                }
                recentInDoubt.addLast(m.to() + " on " + p.name + ": " + m.message());
                if (recentInDoubt.size() > 100) {
                    recentInDoubt.pollFirst();
                }
            }
            p.unacked.clear();
            p.outbox = null;
            p.outboxMessages.clear();
            p.notifyAll();
        }
        inDoubt.addAndGet(doubt);
        return doubt;
    }

    /** Ends the session from {@code p}: late frames of it are never delivered ({@link #onMessage}). */
    void endReceiving(Peer p) {
        synchronized (p.in) {
            if (p.inEpoch != 0) {
                endedSessions.computeIfAbsent(p.key(), k -> ConcurrentHashMap.newKeySet()).add(p.inEpoch);
            }
        }
    }

    // ------------------------------------------------------------------ frames refused or dropped

    void refused(Address src, byte type, String why) {
        refused.incrementAndGet();
        warnLimited("node " + name + ": refused frame type " + type + " from " + src + ": " + why);
    }

    void malformed(Address src, String why) {
        malformed.incrementAndGet();
        warnLimited("node " + name + ": malformed frame from " + src + " dropped: " + why);
    }

    private final AtomicLong warnedAt = new AtomicLong(), unwarned = new AtomicLong();

    /**
     * Logs at most one refused or dropped frame a second, with how many were not logged since: after a partition
     * heals, JGroups retransmits everything in flight when it began (tens of thousands of frames under load), each
     * refused here; a line for each would flood the log and slow the node down while it merges. The counts in
     * {@link ClusterNode#stats()} stay exact.
     */
    private void warnLimited(String line) {
        long now = System.nanoTime();
        long last = warnedAt.get();
        if ((last == 0 || now - last >= 1_000_000_000L) && warnedAt.compareAndSet(last, now == 0 ? 1 : now)) {
            long more = unwarned.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, line + (more == 0 ? "" : " (and " + more + " more refused or dropped"
                    + " frame(s) not logged in the last second: hotcode:nodes counts them all)"));
        } else {
            unwarned.incrementAndGet();
        }
    }
}
