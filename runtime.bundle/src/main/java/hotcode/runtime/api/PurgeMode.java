package hotcode.runtime.api;

/** How {@link CodeServer#purge(String, PurgeMode)} treats the processes that run old code. */
public enum PurgeMode {
    /** Erlang's purge: every process running the old version is killed (reason {@code killed}). */
    KILL,
    /**
     * Processes parked in {@code receive} are moved to the current version instead, their mailbox kept: a
     * {@link Server} between two messages has its state migrated by the current version's
     * {@link Server#codeChange}; a plain process waiting in the first receive of a step it entered through a qualified
     * call ({@link Next#call}), having done nothing else since (no message taken, no send, spawn, link, monitor or
     * name), re-runs that step on the current version. Only processes caught mid-execution in old code (or whose
     * migration fails) are killed.
     */
    MIGRATE
}
