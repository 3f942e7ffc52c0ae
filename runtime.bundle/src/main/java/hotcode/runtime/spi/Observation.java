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

    // ------------------------------------------------------------------ the process table as a page

    /**
     * One page of the process table as {@code q} asks: every process read for the columns {@code q} filters and sorts
     * by, then the page's rows read whole (a row whose process exited between the two reads says {@code exited}).
     */
    default ProcessQuery.Result query(ProcessQuery q, int mailboxCap) {
        ProcessQuery.Result r = q.run(processes(mailboxCap, q.columns()));
        List<ProcessRow> page = new java.util.ArrayList<>(r.rows().size());
        for (ProcessRow partial : r.rows()) {
            ProcessRow whole = row(partial.id(), mailboxCap);
            page.add(whole != null ? whole
                    : new ProcessRow(partial.id(), null, null, null, false, 0, "exited", null, false));
        }
        return new ProcessQuery.Result(page, r.total(), r.matched(), r.page(), r.pages());
    }

    // ------------------------------------------------------------------ other nodes (the cluster bundle's transport)

    /** The name of a runtime that is no node of a cluster (no cluster bundle, or none configured), as Erlang's. */
    String NO_NODE = "nonode@nohost";

    /**
     * A node of the cluster as {@code hotcode:nodes} lists it.
     *
     * @param index       the {@code N} this node gave it (the {@code N} of its pids {@code <N.id.0>}); 0 for this node
     * @param incarnation its incarnation (new at every start of the node), or 0 where the transport does not say
     * @param address     its address in the cluster, or null where the transport does not say
     * @param connected   whether it is a member now (an earlier incarnation of a restarted node is not)
     * @param modules     its modules with their current versions as it answered now; when it did not answer, as it
     *                    last announced them if the transport knows, else null
     * @param problem     null when it answered; else why not (it did not answer in time, is not connected)
     */
    record NodeRow(int index, String node, long incarnation, String address, boolean self, boolean connected,
                   Map<String, String> modules, String problem) {
    }

    /**
     * This runtime's node name ({@link #NO_NODE} without a cluster). A method of the observation, not only of the API,
     * so that the observer can tell the nodes apart without a cluster bundle of its own.
     */
    default String node() {
        return NO_NODE;
    }

    /**
     * The nodes of the cluster, this one first, each with its modules' current versions (asked of every connected
     * node at once, each waiting at most {@code timeoutMillis}: a node that does not answer has a {@code problem}
     * naming it, the others are listed all the same). Empty when this runtime is no node of a cluster.
     */
    default List<NodeRow> nodes(long timeoutMillis) {
        return List.of();
    }

    /**
     * {@link #query(ProcessQuery, int)} answered by {@code node}: filtered, sorted and paged there, only the page
     * crossing the network. This node's name answers locally. Throws a {@code HotcodeException} naming the node when it
     * is not connected (or this runtime is no node), does not answer within {@code timeoutMillis}, or fails.
     */
    default ProcessQuery.Result query(String node, ProcessQuery q, long timeoutMillis) {
        throw notConnected(node);
    }

    /**
     * A process of another node as its page shows it, every value made text on that node (so no class of that node's
     * modules has to cross): pids as that node prints them ({@code <0.N.0>} for its own).
     *
     * @param gone     null for a live process; else why there is none (it has exited, or that node never spawned
     *                 it), and every other field is empty
     * @param messages the first messages in its mailbox, oldest first, as terms cut at the length asked
     * @param state    a server's state as a term, or null (no server, or {@code stateError} says why not)
     */
    record ProcessReport(String node, String gone, ProcessRow row, boolean trapExit, List<String> frames, List<String> links,
                         List<String> monitors, List<String> monitoredBy, List<String> messages, String state,
                         String stateError) {
    }

    /**
     * Process {@code id} of {@code node}, with the first {@code messages} messages of its mailbox cut at
     * {@code termChars} characters each (its {@code gone} says why when it is not alive there). Fails as
     * {@link #query(String, ProcessQuery, long)} does.
     */
    default ProcessReport process(String node, long id, int messages, int termChars, long timeoutMillis) {
        throw notConnected(node);
    }

    /**
     * What happened to an action on another node's process: {@code ok} false when the process was not alive there
     * ({@code message} says whether it exited or never was).
     */
    record Outcome(boolean ok, String message) {
    }

    /** Sends {@code kill} to process {@code id} of {@code node} ({@code exit(Pid, kill)} there). */
    default Outcome kill(String node, long id, long timeoutMillis) {
        throw notConnected(node);
    }

    private static hotcode.runtime.api.HotcodeException notConnected(String node) {
        return new hotcode.runtime.api.HotcodeException("node " + node + " is not connected: this runtime is no node"
                + " of a cluster (" + NO_NODE + "; the hotcode.cluster bundle is not running or not configured)");
    }
}
