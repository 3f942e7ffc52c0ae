package hotcode.runtime.spi;

import hotcode.runtime.api.Pid;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an observer (the Web Console's Hotcode page, {@code hotcode.observer}) reads of the running runtime beyond the
 * API: every process as a row, totals to derive rates from, one process in detail, and the timeline of code events.
 * Reached through {@link RuntimeAccess#observation()}.
 *
 * <p><b>Nothing when no one is looking.</b> Nothing here adds work to the message path or memory to a process: rows
 * and totals are read from what processes keep already, on the caller's thread, when it asks. The only state kept
 * between calls is the code-event timeline (a bounded window, written once per load, rollback, purge or release) and,
 * between two {@link #totals()} calls, the per-process effect counts of the previous call (so that effects are
 * counted per process, and a process that exits between two calls takes none of its counts away from the others).
 */
public interface Observation {
    /**
     * One live process as a row of the process table. A row read for a query holds only the columns the query asked
     * for ({@link #processes(int, Set)}); the others are null, false or -1.
     *
     * @param id       the pid's number ({@code <0.id.0>}; {@link #pid()} prints it)
     * @param name     its registered name, or null
     * @param module   the module of its innermost qualified call in progress, or null
     * @param version  that version's version string, or null
     * @param oldCode  whether it runs a module's old version anywhere on its stack
     * @param mailbox  messages waiting, counted up to about the cap the caller gave (messages a receive passed over
     *                 are counted all at once), so that a huge mailbox costs the count no more than the cap
     * @param status   {@code runnable}, {@code waiting} or {@code exited}
     * @param function its innermost qualified call in progress as {@code module:function (module version)}, or null
     * @param server   whether it runs a behaviour (a server or supervisor): {@code Sys} calls reach it
     */
    record ProcessRow(long id, String name, String module, String version, boolean oldCode, int mailbox,
                      String status, String function, boolean server) {
        /** The pid as printed, {@code <0.id.0>}. */
        public String pid() {
            return "<0." + id + ".0>";
        }
    }

    /** The columns of a {@link ProcessRow} beyond its id, for a query that needs only some of them. */
    enum Column { NAME, MODULE, OLD_CODE, MAILBOX, STATUS, FUNCTION, SERVER }

    /**
     * Counters, each since the runtime started, to derive rates from (two calls, a known time apart).
     *
     * @param processes   live processes, the runtime's own excluded
     * @param spawned     processes spawned, the runtime's own excluded
     * @param effects     messages taken and effects made (sends, spawns, links, exits, sleeps) by processes, counted
     *                    between calls of this method (see the class comment), from the first call on (after a
     *                    minute without a call, counting starts again from the next)
     * @param deadLetters dead letters, all reasons
     * @param deadLettersByReason dead letters by reason ({@code noproc}, {@code killed}, ...)
     */
    record Totals(int processes, long spawned, long effects, long deadLetters, Map<String, Long> deadLettersByReason) {
    }

    /** One process in detail: its row, and what {@code process_info} adds. */
    record ProcessDetail(ProcessRow row, boolean trapExit, List<String> frames, List<Pid> links, List<Pid> monitors,
                         List<Pid> monitoredBy) {
    }

    /**
     * A code event on the timeline.
     *
     * @param seq      its number, from 1, in the order the runtime saw them
     * @param kind     {@code loaded}, {@code rolled_back}, {@code purged} or {@code release}
     * @param from     the version left (loaded, rolled back) or dropped (purged), as {@code module version (vsn n)}, or null
     * @param to       the version made current (loaded) or tried (rolled back), or null
     * @param micros   how long it took, in microseconds (an upgrade's prepare to commit or abort; a purge's finding,
     *                 moving, killing and awaiting the processes on the old version), or -1 when unknown
     * @param servers  servers migrated (loaded), servers that were to be (rolled back), processes killed (purged)
     * @param detail   the cause of a rollback; for a purge the processes a migrating purge moved to the current
     *                 version (how many, and which) and the pids it killed; a release's summary; or null
     */
    record CodeEvent(long seq, Instant at, String kind, String module, String from, String to, long micros,
                     int servers, String detail) {
    }

    /**
     * Every live process (the runtime's own excluded), in no particular order, with only {@code columns} read (the
     * others null, false or -1): a table of 100,000 processes sorted by one column reads that column only, and the
     * page's rows are read in full with {@link #row}. Mailboxes are counted up to {@code mailboxCap}.
     */
    List<ProcessRow> processes(int mailboxCap, Set<Column> columns);

    /** Every live process with every column. */
    default List<ProcessRow> processes(int mailboxCap) {
        return processes(mailboxCap, EnumSet.allOf(Column.class));
    }

    /** The live process numbered {@code id} as a full row, or null when there is none. */
    ProcessRow row(long id, int mailboxCap);

    /** The counters now; see {@link Totals}. */
    Totals totals();

    /** The live process numbered {@code id}, or null when there is none (never was, or has exited). */
    ProcessDetail process(long id);

    /**
     * The first {@code max} messages in the mailbox of the live process numbered {@code id}, oldest first, or null when
     * there is no such process. "The mailbox" is every message waiting: those a selective receive passed over (they
     * arrived first, and the next receive looks at them first), then the ones no receive has looked at. Read without
     * disturbing the process (no lock, nothing added to send or receive): while it receives this is a sample, in
     * arrival order, that may miss a message taken meanwhile. The messages themselves, not copies: format them, do
     * not change them.
     */
    List<Object> messages(long id, int max);

    /** The live process numbered {@code id} as a pid for the API ({@code exit}, {@code Sys}), or null. */
    Pid pid(long id);

    /** Code events numbered above {@code afterSeq}, oldest first (the latest few hundred are kept). */
    List<CodeEvent> codeEvents(long afterSeq);
}
