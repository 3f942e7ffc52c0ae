package hotcode.runtime.spi.node;

/**
 * A message from another node as it arrived, not yet decoded: the cluster bundle puts it in the receiving process's
 * mailbox in the neutral form, and the mailbox has it decoded the first time a receive of that process looks at it,
 * with the module versions the node has loaded then (Erlang decodes a message at the receiver too). So a record of a
 * version the node loads after the message arrived but before it is received is read, and a value the node cannot
 * read at all is refused where it would be refused locally: at the receive, as a dead letter {@code incompatible}
 * naming its sender, and the receive goes on with the next message.
 *
 * <p>A local message is never of this type: the mailbox's only cost for it is one type check per message examined.
 */
public abstract class Encoded {
    /**
     * What {@link #decode} returns for a value this node cannot read; {@code decode} has counted it as a dead letter
     * {@code incompatible} already, and the receive passes it over as if it had never arrived.
     */
    public static final Object REFUSED = new Object() {
        @Override
        public String toString() {
            return "<refused: a value from another node that this node cannot read>";
        }
    };

    protected Encoded() {
    }

    /** The process of the other node that sent it, or null when unknown (sent from outside any process). */
    public abstract hotcode.runtime.api.Pid from();

    /**
     * The value, decoded now, on the receiving process's thread; {@link #REFUSED} (after recording the dead letter) if
     * this node cannot read it. Never throws. Called once per message, by the mailbox's owner.
     */
    public abstract Object decode();

    /**
     * The value for a dead letter's record, when the message was never received (its process had exited, or exited
     * with it in its mailbox): decoded now, or a text naming why this node cannot read it. Records nothing, never
     * throws.
     */
    public abstract Object value();
}
