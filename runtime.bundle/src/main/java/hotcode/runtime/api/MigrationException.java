package hotcode.runtime.api;

/**
 * An upgrade of a module's servers failed and was rolled back: every server of the module stays on, or returned to,
 * the old version with its old state, and the module's bundle is restored to its old revision. The message names the
 * module, both versions, the first process that failed and its cause.
 */
public class MigrationException extends HotcodeException {
    private final transient Pid pid;

    public MigrationException(String message, Pid pid, Throwable cause) {
        super(message);
        this.pid = pid;
        if (cause != null) {
            initCause(cause);
        }
    }

    /** The first process whose migration failed, or null when the upgrade failed before any migration. */
    public Pid pid() {
        return pid;
    }
}
