package hotcode.cluster.impl;

import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What this node knows of another member, and the two sessions of the pair: the one this node sends in (its epoch,
 * sequence numbers, what is queued and what is not yet acknowledged; guarded by the peer itself) and the one it
 * receives in (guarded by {@link #in}). {@link Sessions} keeps the protocol; this is its state, one per member, so
 * that a member that goes takes its state with it.
 */
final class Peer {
    private static final SecureRandom RANDOM = new SecureRandom();

    final Address address;
    final String name;
    final long incarnation;
    final int index;
    volatile Map<String, String> modules;
    // sending, guarded by this
    final long epoch = RANDOM.nextLong();
    long nextSeq;
    final ArrayDeque<Pending> unacked = new ArrayDeque<>();
    boolean gone;
    /**
     * Frames not yet handed to JGroups, in order, already laid out as one batch (null until {@link Sessions} first
     * queues one), and the messages among them; one thread flushes at a time.
     */
    FrameBuffer outbox;
    List<Pending> outboxMessages = new ArrayList<>();
    boolean flushing;
    /** When the last flush found the queue empty ({@link System#nanoTime}): a send soon after is a stream. */
    long lastFlushEnd = Long.MIN_VALUE / 2;
    // receiving, guarded by in
    final Object in = new Object();
    long inEpoch;
    long deliveredSeq;
    int sinceAck;

    Peer(Address address, String name, long incarnation, int index, Map<String, String> modules) {
        this.address = address;
        this.name = name;
        this.incarnation = incarnation;
        this.index = index;
        this.modules = modules;
    }

    String key() {
        return name + "#" + incarnation;
    }

    /** Whether {@code pid} lives on this member (this incarnation of it). */
    boolean hosts(RemotePid pid) {
        return pid.node().equals(name) && pid.incarnation() == incarnation;
    }

    /**
     * A message sent to the member and not yet acknowledged (or not yet handed to JGroups), with its sender (null:
     * none), whom a dead letter {@code noconnection} names.
     */
    record Pending(long seq, RemotePid to, Pid from, Object message) {
    }
}
