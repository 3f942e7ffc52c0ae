package hotcode.runtime.api;

/**
 * What {@link Server#handleCall} returns: a reply and the new state, no reply yet (the server answers later with
 * {@link GenServer#reply}), or a stop.
 *
 * @param <S> the server's state type
 */
public final class Reply<S> {
    enum Kind { REPLY, NO_REPLY, STOP }

    private final Kind kind;
    private final Object value;
    private final S state;
    private final Object reason;

    private Reply(Kind kind, Object value, S state, Object reason) {
        this.kind = kind;
        this.value = value;
        this.state = state;
        this.reason = reason;
    }

    /** Answers the caller with {@code value} and goes on with {@code state}. */
    public static <S> Reply<S> reply(Object value, S state) {
        return new Reply<>(Kind.REPLY, value, state, null);
    }

    /** Goes on with {@code state}; the caller waits for a {@link GenServer#reply} (or its timeout). */
    public static <S> Reply<S> noReply(S state) {
        return new Reply<>(Kind.NO_REPLY, null, state, null);
    }

    /** Answers the caller with {@code value}, then stops the server with {@code reason} ({@code normal}: quietly). */
    public static <S> Reply<S> stop(Object reason, Object value, S state) {
        if (reason == null) {
            throw new HotcodeException("Reply.stop: the reason must not be null (use Hotcode.NORMAL)");
        }
        return new Reply<>(Kind.STOP, value, state, reason);
    }

    public boolean isReply() {
        return kind == Kind.REPLY;
    }

    public boolean isStop() {
        return kind == Kind.STOP;
    }

    public Object value() {
        return value;
    }

    public S state() {
        return state;
    }

    /** The stop reason, or null. */
    public Object reason() {
        return reason;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case REPLY -> "reply(" + Terms.format(value) + ")";
            case NO_REPLY -> "noReply";
            case STOP -> "stop(" + reason + ", " + Terms.format(value) + ")";
        };
    }
}
