package hotcode.cluster.impl;

import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.node.Encoded;
import hotcode.runtime.spi.node.RemotePid;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * A message from another node in the receiving process's mailbox, as it arrived (its value in the neutral form):
 * decoded by the mailbox when a receive first looks at it ({@link Encoded}), so with the module versions this node has
 * loaded then. {@link Sessions#onMessage} makes one per message it delivers; what it cannot read is refused by
 * {@link Sessions#refusedAtReceive}.
 */
final class EncodedMessage extends Encoded {
    private final Sessions sessions;
    final Peer peer;
    private final long fromId;
    final long target;
    private final byte[] value;

    EncodedMessage(Sessions sessions, Peer peer, long fromId, long target, byte[] value) {
        this.sessions = sessions;
        this.peer = peer;
        this.fromId = fromId;
        this.target = target;
        this.value = value;
    }

    @Override
    public Object decode() {
        try {
            return read();
        } catch (IncompatibleValueException e) {
            sessions.refusedAtReceive(this, e.getMessage(), false);
        } catch (LinkageError e) {
            // an Error, not an exception: a record class this node cannot link or initialize (a missing dependency, a
            // static initializer failing here). Refused as unreadable here; thrown, it would crash the receiving
            // process and lose the message uncounted (the mailbox has already taken it off its queue)
            sessions.refusedAtReceive(this, "its class cannot be loaded on this node (" + e + ")", false);
        } catch (IOException | RuntimeException e) {
            sessions.refusedAtReceive(this, "a malformed value (" + e + ")", true);
        }
        return REFUSED;
    }

    @Override
    public Object value() {
        try {
            return read();
        } catch (IOException | RuntimeException | LinkageError e) { // never throws (Encoded.value): see decode
            return "<unreadable value from node " + peer.name + ": " + e.getMessage() + ">";
        }
    }

    @Override
    public Pid from() {
        return fromId == 0 ? null : new RemotePid(peer.name, peer.incarnation, fromId, peer.index);
    }

    private Object read() throws IOException {
        return sessions.codec().read(new DataInputStream(new ByteArrayInputStream(value)));
    }

    @Override
    public String toString() {
        return "<a message from node " + peer.name + ", not yet received: " + value.length + " bytes>";
    }
}
