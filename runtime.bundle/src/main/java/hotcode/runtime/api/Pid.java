package hotcode.runtime.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A process identifier. Pids are made only by the runtime ({@link Hotcode#spawn}); a pid stays valid as a value after
 * its process has exited (sending to it then counts a dead letter). Pids compare by identity and order by creation.
 */
@ProviderType
public interface Pid extends Comparable<Pid> {
    /** The process number, unique for the life of the runtime; shown as {@code <0.N.0>}. */
    long id();

    @Override
    default int compareTo(Pid other) {
        return Long.compare(id(), other.id());
    }
}
