package hotcode.runtime.spi.node;

import hotcode.runtime.api.Pid;

/**
 * A pid of a process on another node, or of this node's previous incarnation: the node's name, its incarnation (a
 * number new at every start of the node, so a pid of a node that restarted never reaches the new one) and the process
 * number there. Printed {@code <N.id.0>} as Erlang does, where {@code N} is the number this node gave the remote node
 * when it first saw it ({@code hotcode:nodes} lists them); equal when name, incarnation and number are.
 *
 * <p>Only the cluster bundle makes these (decoding a pid from another node); the runtime's {@code send} hands a
 * remote pid to the {@link NodeTransport}, everything else stays on the local fast path.
 */
public final class RemotePid implements Pid {
    private final String node;
    private final long incarnation;
    private final long id;
    private final int index;

    public RemotePid(String node, long incarnation, long id, int index) {
        if (node == null || node.isEmpty()) {
            throw new IllegalArgumentException("a remote pid needs a node name (process " + id + ")");
        }
        this.node = node;
        this.incarnation = incarnation;
        this.id = id;
        this.index = index;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String node() {
        return node;
    }

    public long incarnation() {
        return incarnation;
    }

    /** The number this node gave the remote node (the {@code N} of {@code <N.id.0>}). */
    public int index() {
        return index;
    }

    @Override
    public int compareTo(Pid other) {
        // local pids (node index 0) first, then by node, then by number: a total order that agrees with equals
        if (!(other instanceof RemotePid r)) {
            return 1;
        }
        int c = node.compareTo(r.node);
        if (c == 0) {
            c = Long.compare(incarnation, r.incarnation);
        }
        return c != 0 ? c : Long.compare(id, r.id);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RemotePid r && r.id == id && r.incarnation == incarnation && r.node.equals(node);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id) * 31 + node.hashCode() + Long.hashCode(incarnation);
    }

    @Override
    public String toString() {
        return "<" + index + "." + id + ".0>";
    }
}
