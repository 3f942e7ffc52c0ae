package hotcode.runtime.api;

/** Base of the runtime's errors; each message names what was wrong (module, function, pid, bundle). */
public class HotcodeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public HotcodeException(String message) {
        super(message);
    }

    public HotcodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
