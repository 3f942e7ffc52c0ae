package hotcode.runtime.spi.node;

/**
 * A barrier inside a release's installation or a module's load, for a load coordinated across nodes: called when
 * every module of the release (or the module) is prepared on this node (loaded, servers suspended and migrated,
 * nothing current yet), it returns null to commit, or why the load is to be aborted here (the local rollback then
 * runs, as when a module fails).
 */
@FunctionalInterface
public interface ReleaseBarrier {
    /** {@code what}: the release's label, or the module and its new version. */
    String prepared(String what);

    /** The barrier of the release this thread installs, or null (an ordinary install: no barrier). */
    static ReleaseBarrier current() {
        return Holder.CURRENT.get();
    }

    /** Sets the barrier of the releases this thread installs (null removes it). */
    static void set(ReleaseBarrier b) {
        if (b == null) {
            Holder.CURRENT.remove();
        } else {
            Holder.CURRENT.set(b);
        }
    }

    final class Holder {
        private static final ThreadLocal<ReleaseBarrier> CURRENT = new ThreadLocal<>();

        private Holder() {
        }
    }
}
