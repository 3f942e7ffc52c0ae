package hotcode.runtime.api;

/**
 * A {@link GenServer#call} (or {@link Sys} request) that got no answer: the server is not alive ({@code noproc}),
 * exited while the caller waited (its exit reason), or did not answer within the timeout ({@code timeout}). The
 * message names the server, its module, the request and the reason.
 */
public class CallException extends HotcodeException {
    private final transient Object reason;
    private final transient Pid server;

    public CallException(String message, Pid server, Object reason) {
        super(message);
        this.server = server;
        this.reason = reason;
    }

    /** {@code noproc}, {@code timeout}, or the server's exit reason. */
    public Object reason() {
        return reason;
    }

    /** The server's pid, or null when a name was not registered. */
    public Pid server() {
        return server;
    }
}
