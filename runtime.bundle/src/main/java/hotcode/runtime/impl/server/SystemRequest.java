package hotcode.runtime.impl.server;

import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A request a server serves between two messages, or while suspended, Erlang's system messages. The requester waits
 * on the future; a server that exits first fails it with its exit reason.
 */
final class SystemRequest extends CompletableFuture<Object> {
    enum Kind { SUSPEND, RESUME, GET_STATE, REPLACE_STATE, STOP, UPGRADE }

    final Kind kind;
    final UnaryOperator<Object> replace;
    final Object reason;
    final Upgrade upgrade;
    /** This server's index in {@link #upgrade}. */
    final int index;

    private SystemRequest(Kind kind, UnaryOperator<Object> replace, Object reason, Upgrade upgrade, int index) {
        this.kind = kind;
        this.replace = replace;
        this.reason = reason;
        this.upgrade = upgrade;
        this.index = index;
    }

    static SystemRequest of(Kind kind) {
        return new SystemRequest(kind, null, null, null, -1);
    }

    static SystemRequest replace(UnaryOperator<Object> f) {
        return new SystemRequest(Kind.REPLACE_STATE, f, null, null, -1);
    }

    static SystemRequest stop(Object reason) {
        return new SystemRequest(Kind.STOP, null, reason, null, -1);
    }

    static SystemRequest upgrade(Upgrade u, int index) {
        return new SystemRequest(Kind.UPGRADE, null, null, u, index);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase();
    }
}
