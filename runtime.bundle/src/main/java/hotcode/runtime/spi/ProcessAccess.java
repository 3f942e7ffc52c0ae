package hotcode.runtime.spi;

import hotcode.runtime.api.Pid;

/**
 * What the API asks of the calling process itself: the operations that touch only its own mailbox and flags. The
 * runtime's process implements it and makes itself the current process of its thread ({@link Access#enter}), so
 * {@code Hotcode.receive} reaches it with one read of the thread's handler and one call, as before there was an
 * interface, and without asking whether a runtime is installed (a process outlives the runtime that spawned it by its
 * last steps).
 */
public interface ProcessAccess extends Pid {
    /**
     * Selective receive of a message matching {@code patterns}: one pattern, or an {@code Object[]} of them (any may
     * match; an empty one matches anything). {@code timeoutNanos} < 0 waits forever; returns null on timeout.
     */
    Object receive(Object patterns, long timeoutNanos);

    /** Sets whether the process traps exits; returns the previous setting. */
    boolean trapExit(boolean trap);

    /** Waits {@code millis}, leaving the mailbox alone; an exit signal ends the wait. */
    void sleep(long millis);
}
