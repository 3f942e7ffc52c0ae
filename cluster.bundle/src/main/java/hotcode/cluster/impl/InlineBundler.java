package hotcode.cluster.impl;

import org.jgroups.Message;
import org.jgroups.protocols.PerDestinationBundler;
import org.jgroups.util.ByteArrayDataOutputStream;

import java.util.function.BooleanSupplier;

/**
 * JGroups' {@code per-destination} bundler, except that a message sent by a Hotcode process to one member is written
 * to the socket by that process itself, with no hand-off to the destination's bundler thread (one thread wake-up
 * less per remote hop: issue 15, docs/BENCHMARKS.md "i15-pingpong"). Every other thread hands off as before: JGroups'
 * reader (acknowledgements, retransmissions: a reader blocked on a full socket whose peer's reader is blocked the same
 * way would deadlock the pair) and its timers (a blocked timer would delay failure detection's heartbeats). A process
 * blocked in a write waits for its peer's reader, which never waits for a writer.
 */
final class InlineBundler extends PerDestinationBundler {
    private final BooleanSupplier inlineHere;

    InlineBundler(BooleanSupplier inlineHere) {
        this.inlineHere = inlineHere;
    }

    @Override
    public void send(Message msg) throws Exception {
        if (msg.dest() == null || !inlineHere.getAsBoolean()) {
            super.send(msg);
            return;
        }
        if (msg.getSrc() == null) {
            msg.setSrc(transport.getAddress());
        }
        // what the hand-off may still hold for this member can leave after this message: UNICAST3 puts them back
        // in order at the receiver
        sendSingle(msg.dest(), msg, new ByteArrayDataOutputStream(msg.length() + 128).growExponentially(true));
    }
}
