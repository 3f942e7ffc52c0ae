package hotcode.runtime.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A process identifier. Pids are made only by the runtime ({@link Hotcode#spawn}); a pid stays valid as a value after
 * its process has exited (sending to it then counts a dead letter). Pids compare by identity and order by creation; a
 * pid of another node equals a pid decoded from the same node, incarnation and number.
 */
@ProviderType
public interface Pid extends Comparable<Pid> {
    /** The process number, unique for the life of the runtime; shown as {@code <0.N.0>}. */
    long id();

    /**
     * The name of the node the process lives on, Erlang's {@code node(Pid)}: {@link Hotcode#node()} for a local pid
     * (printed {@code <0.N.0>}), the remote node's for a pid of another node (printed {@code <K.N.0>}, where
     * {@code K} is the number this node gave that node).
     *
     * @since 0.6.0
     */
    default String node() {
        return Hotcode.node();
    }

    @Override
    default int compareTo(Pid other) {
        return Long.compare(id(), other.id());
    }
}
