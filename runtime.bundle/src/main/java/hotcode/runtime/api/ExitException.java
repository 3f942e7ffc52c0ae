package hotcode.runtime.api;

/**
 * Unwinds a process that is exiting: thrown by {@link Hotcode#exit(Object)}, and by any runtime call of a process that
 * has received an exit signal it does not trap (for example {@code killed} by a purge). Catching it does not save the
 * process: the next runtime call throws it again.
 */
public final class ExitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Object reason;

    public ExitException(Object reason) {
        super("exit: " + Terms.format(reason), null, false, false);
        this.reason = reason;
    }

    public Object reason() {
        return reason;
    }
}
