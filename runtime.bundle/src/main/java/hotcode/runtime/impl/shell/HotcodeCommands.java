package hotcode.runtime.impl.shell;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseInfo;
import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.ProcessInfo;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.RemotePid;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The operator's console commands, scope {@code hotcode}: see processes and modules, send and kill, and drive the
 * code server (load, purge, soft purge, delete). Each answers with a {@link Table} (printed aligned; its rows are
 * there for scripts) or a plain value. Processes are read as {@link ProcessInfo} snapshots and modules as the
 * {@link CodeServer}'s {@link ModuleInfo}s, never through the runtime's process or module-version objects.
 */
public final class HotcodeCommands {
    static final String[] FUNCTIONS = {"ps", "info", "modules", "which", "send", "kill", "purge", "softpurge", "load",
        "update", "delete", "release", "releases", "deadletters", "alerts", "await", "sleep"};
    private static final int PS_ROWS = Inspect.PS_ROWS;
    /** How long a command about another node waits for its answer (Erlang's rpc:call has a timeout too). */
    static final long REMOTE_TIMEOUT_MILLIS = Long.getLong("hotcode.console.remoteTimeoutMillis", 10_000);
    /** How many pids a purge's answer lists (a screenful); the rest are counted. */
    static final int PIDS_SHOWN = 20;

    private final ProcessTable processes;
    private final Names names;
    private final DeadLetterOffice deadLetters;
    private final SystemMonitor monitor;
    private final CodeServer code;
    /** The cluster's transport, or null while this runtime is no node of a cluster (no cluster bundle). */
    private final Supplier<NodeTransport> nodes;

    /** Commands of a runtime that is no node of a cluster. */
    public HotcodeCommands(ProcessTable processes, Names names, DeadLetterOffice deadLetters, SystemMonitor monitor,
                           CodeServer code) {
        this(processes, names, deadLetters, monitor, code, () -> null);
    }

    /**
     * Commands that reach other nodes through {@code nodes} (the cluster bundle's transport when one is attached, else
     * null): {@code ps -n}, {@code modules -n}, and {@code info}, {@code send}, {@code kill} of a pid {@code <N.id.0>}.
     */
    public HotcodeCommands(ProcessTable processes, Names names, DeadLetterOffice deadLetters, SystemMonitor monitor,
                           CodeServer code, Supplier<NodeTransport> nodes) {
        this.processes = processes;
        this.names = names;
        this.deadLetters = deadLetters;
        this.monitor = monitor;
        this.code = code;
        this.nodes = nodes;
    }

    // ------------------------------------------------------------------ processes

    @Descriptor("list processes: pid, registered name, module, version, old-code flag, mailbox length, state,"
            + " system monitor alerts; with -n, another node's processes (asked of that node)")
    public Table ps(@Descriptor("list every process, not only the first " + PS_ROWS)
                    @Parameter(names = {"-a", "--all"}, presentValue = "true", absentValue = "false") boolean all,
                    @Descriptor("the node whose processes to list (hotcode:nodes names them); this node when absent")
                    @Parameter(names = {"-n", "--node"}, absentValue = "") String node) {
        if (!node.isEmpty() && !isThisNode(node)) {
            return Inspect.table(call(node, "ps", List.of(all)), node);
        }
        return Inspect.ps(processes, monitor, all);
    }

    /** {@code ps} of this node (for callers in Java; Gogo takes the one with options). */
    public Table ps(boolean all) {
        return Inspect.ps(processes, monitor, all);
    }

    @Descriptor("show one process: links, monitors, current function, the versions on its stack; a pid <N.id.0> of"
            + " another node is asked of that node")
    public Table info(@Descriptor("pid (<0.N.0> quoted, or N; <N.id.0> of another node) or registered name")
                      String process) {
        Pid named = names.whereis(process);
        if (named == null && !TermParser.isPid(process)) {
            throw new HotcodeException("no process is registered as " + process + " (and it is not a pid)");
        }
        if (named == null && TermParser.isRemotePid(process)) {
            NodeTransport t = nodes.get();
            RemotePid r = TermParser.remotePid(process, t);
            if (!t.connected(r) && t.nodes().contains(r.node())) { // asked by name, the new incarnation would answer
                throw new HotcodeException("info: " + r + " is a pid of an earlier incarnation of node " + r.node()
                        + ", which has restarted since: that process is gone");
            }
            return Inspect.table(call(r.node(), "info", List.of(r.id())), r.node());
        }
        return Inspect.info(processes.info(named != null ? named : TermParser.pid(process, processes)));
    }

    @Descriptor("send a message, written as an Erlang term, to a pid or registered name; to a pid that has exited, the"
            + " message is counted as a dead letter (noproc), as Hotcode.send counts it; a pid <N.id.0> of another"
            + " node or a global name is sent to over the cluster, in order and accounted for as Hotcode.send does")
    public String send(@Descriptor("pid (<0.N.0> quoted, or N; <N.id.0> of another node), registered or global name")
                       String to,
                       @Descriptor("the message, e.g. ping, '{ping, 1}', \"text\", [1,2]") String message) {
        NodeTransport t = nodes.get();
        Object term = TermParser.parse(message, processes, t);
        Pid pid = names.whereis(to);
        if (pid == null && !TermParser.isPid(to) && t != null) {
            pid = t.whereisGlobal(to); // Global.send: a name of the cluster, when no local process has it
        }
        if (pid instanceof RemotePid r) {
            return sendRemote(t, r, term);
        }
        if (pid == null && TermParser.isRemotePid(to)) {
            return sendRemote(t, TermParser.remotePid(to, t), term);
        }
        if (pid == null) {
            if (!TermParser.isPid(to)) {
                throw new HotcodeException("no process is registered as " + to + " (and it is not a pid"
                        + (t == null ? "" : " or a global name") + ")");
            }
            long n = TermParser.pidNumber(to);
            pid = processes.find(n);
            if (pid == null) {
                if (!processes.deadLetterToExited(n, term)) {
                    throw new HotcodeException("no process <0." + n + ".0> is alive (this runtime has made no such pid)");
                }
                return "<0." + n + ".0> is not alive: counted as a dead letter (noproc)";
            }
        }
        processes.send(pid, term);
        return "sent " + Terms.format(term) + " to " + pid;
    }

    @Descriptor("send an exit signal to a process (default reason kill, which cannot be trapped)")
    public String kill(@Descriptor("pid, as <0.N.0> (quoted) or N") String pid) {
        return kill(pid, "kill");
    }

    @Descriptor("send an exit signal with a reason (an atom) to a process")
    public String kill(@Descriptor("pid, as <0.N.0> (quoted) or N; <N.id.0> of another node") String pid,
                       @Descriptor("exit reason") String reason) {
        if (TermParser.isRemotePid(pid)) {
            NodeTransport t = nodes.get();
            RemotePid r = TermParser.remotePid(pid, t);
            t.exit(null, r, Atom.of(reason)); // exit/2 across nodes: after the messages sent to it before, as in Erlang
            return "exit signal " + reason + " sent to " + r + " on node " + r.node();
        }
        Pid p = TermParser.pid(pid, processes);
        processes.exit(p, Atom.of(reason));
        return "exit signal " + reason + " sent to " + p;
    }

    @Descriptor("wait until a process has exited; prints its exit reason")
    public String await(@Descriptor("pid, as <0.N.0> (quoted) or N") String pid,
                        @Descriptor("how long to wait, ms") long timeoutMs) throws InterruptedException {
        long n = TermParser.pidNumber(pid);
        Pid p = processes.find(n);
        if (p == null) {
            return "<0." + n + ".0> is not alive (it has exited, or never existed)";
        }
        return processes.awaitExit(p, timeoutMs) ? p + " exited: " + Terms.format(processes.exitReason(p))
                : p + " still running after " + timeoutMs + " ms";
    }

    @Descriptor("wait until a process has exited (up to 10 minutes)")
    public String await(@Descriptor("pid, as <0.N.0> (quoted) or N") String pid) throws InterruptedException {
        return await(pid, 600_000);
    }

    @Descriptor("pause the console for some milliseconds (for scripts)")
    public void sleep(@Descriptor("milliseconds") long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    @Descriptor("messages that could not be delivered: counts by reason and the latest ones")
    public Table deadletters() {
        Table t = new Table("AT", "FROM", "TO", "REASON", "MESSAGE");
        List<DeadLetter> recent = deadLetters.recent();
        for (DeadLetter d : recent.subList(Math.max(0, recent.size() - 20), recent.size())) {
            t.row(d.at(), d.from() == null ? "unknown" : d.from(), d.to(), Terms.format(d.reason()),
                    Terms.format(d.message()));
        }
        t.note(deadLetters.count() + " dead letters in all " + deadLetters.countsByReason());
        return t;
    }

    @Descriptor("what the system monitor finds now: processes running without returning to the runtime"
            + " (long_schedule), long mailboxes (long_message_queue), processes running purged code (runs_purged_code)")
    public Table alerts() {
        Table t = new Table("SINCE", "KIND", "PID", "NAME", "MODULE", "VERSION", "DETAIL");
        for (SystemAlert a : monitor.alerts()) {
            t.row(a.since(), a.kind(), a.pid(), orDash(a.name()), orDash(a.module()), orDash(a.version()), a.detail());
        }
        SystemMonitor.Settings s = monitor.settings();
        boolean sampling = s.intervalMillis() > 0 && (s.longScheduleMillis() > 0 || s.longMessageQueue() > 0);
        t.note(!sampling ? "sampling is off (hotcode.monitor.* settings): only purges are watched"
                : String.format("sampled every %d ms (last: %d processes in %.1f ms); limits: long_schedule %s,"
                        + " long_message_queue %s", s.intervalMillis(), monitor.lastSampleProcesses(), monitor.lastSampleNanos() / 1e6,
                        s.longScheduleMillis() == 0 ? "off" : s.longScheduleMillis() + " ms",
                        s.longMessageQueue() == 0 ? "off" : s.longMessageQueue() + " messages"));
        return t;
    }

    // ------------------------------------------------------------------ code

    @Descriptor("list modules with their current and old versions and how many processes run each; with -n, another"
            + " node's (hotcode:nodes shows every node's current versions side by side)")
    public Table modules(@Descriptor("the node whose modules to list; this node when absent")
                         @Parameter(names = {"-n", "--node"}, absentValue = "") String node) {
        if (!node.isEmpty() && !isThisNode(node)) {
            return Inspect.table(call(node, "modules", List.of()), node);
        }
        return Inspect.modules(code);
    }

    /** {@code modules} of this node (for callers in Java; Gogo takes the one with the option). */
    public Table modules() {
        return Inspect.modules(code);
    }

    @Descriptor("where a module's current and old versions come from: bundle id, location, version")
    public Object which(@Descriptor("module name") String module) {
        Optional<ModuleInfo> known = code.which(module);
        if (known.isEmpty()) {
            return unknown(module, "nothing to show");
        }
        ModuleInfo m = known.get();
        Table t = new Table("", "VERSION", "VSN", "BUNDLE", "LOCATION", "PROCESSES");
        m.current().ifPresent(v -> t.row("current", v.version(), v.vsn(), v.bundleId(), v.location(), v.processes()));
        m.old().ifPresent(v -> t.row("old", v.version(), v.vsn(), v.bundleId(), v.location(), v.processes()));
        t.note("status: " + m.status());
        return t;
    }

    @Descriptor("purge a module's old code, killing the processes that run it")
    public String purge(@Descriptor("module name") String module) {
        return purge(module, "kill");
    }

    @Descriptor("purge a module's old code; mode kill (as purge) or migrate: move processes parked in receive to the"
            + " current version, kill only those mid-execution in old code")
    public String purge(@Descriptor("module name") String module, @Descriptor("kill or migrate") String mode) {
        PurgeMode m;
        try {
            m = PurgeMode.valueOf(mode.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new HotcodeException("purge: unknown mode " + mode + "; use kill or migrate");
        }
        if (code.which(module).isEmpty()) {
            return unknown(module, "nothing purged");
        }
        return describe(code.purge(module, m));
    }

    @Descriptor("purge a module's old code only if no process runs it; otherwise name the processes in the way")
    public String softpurge(@Descriptor("module name") String module) {
        if (code.which(module).isEmpty()) {
            return unknown(module, "nothing purged");
        }
        return describe(code.softPurge(module));
    }

    @Descriptor("load a new version of a module from a jar URL (refused while the module has old code)")
    public String load(@Descriptor("module name") String module, @Descriptor("jar URL, e.g. file:/path/x.jar") String url) {
        return "loaded " + code.load(module, url);
    }

    /**
     * {@code load} for a module named by its bundle, as Felix's {@code update <id> <url>} names it, but with the
     * outcome returned: a failed upgrade (rolled back, the old version current again) throws, so a Gogo script stops
     * there instead of going on as if the new version ran.
     */
    @Descriptor("update a module's bundle from a jar URL and say what came of it: loaded, or an error (and a script"
            + " stops) when the upgrade rolled back or was refused (refused while the module has old code)")
    public String update(@Descriptor("bundle id of a module bundle") long bundleId,
                         @Descriptor("jar URL, e.g. file:/path/x.jar") String url) {
        String module = moduleOfBundle(bundleId);
        Optional<VersionInfo> before = code.which(module).flatMap(ModuleInfo::current);
        VersionInfo now = code.load(module, url); // throws on a rollback, naming the cause
        return "updated bundle " + bundleId + ": loaded " + module + " " + now.version() + " (vsn " + now.vsn() + ")"
                + before.map(b -> "; " + module + " " + b.version() + " is now old").orElse("");
    }

    /** The module a bundle provides (its current version's, or else its old version's, bundle). */
    private String moduleOfBundle(long bundleId) {
        List<ModuleInfo> all = code.modules();
        for (ModuleInfo m : all) {
            if (m.current().or(m::old).map(VersionInfo::bundleId).orElse(-1L) == bundleId) {
                return m.name();
            }
        }
        throw new HotcodeException("update: bundle " + bundleId + " provides no module known to the code server"
                + " (start a bundle with a Hotcode-Module header first; for other bundles use felix:update)"
                + (all.isEmpty() ? "" : "; module bundles: " + String.join(", ", all.stream()
                        .map(m -> m.name() + " " + m.current().or(m::old).map(VersionInfo::bundleId)
                                .map(String::valueOf).orElse("-")).toList())));
    }

    @Descriptor("delete a module: its current version becomes old; calls to it fail with undef; nobody is killed")
    public String delete(@Descriptor("module name") String module) {
        Optional<ModuleInfo> before = code.which(module);
        if (before.isEmpty()) {
            return unknown(module, "nothing deleted");
        }
        if (code.delete(module)) {
            return "deleted " + module + ": its current version is now old";
        }
        ModuleInfo m = code.which(module).orElse(before.get());
        return "not deleted: " + module + (m.current().isEmpty() ? " has no current version (" + m.status() + ")"
                : " has old code (" + m.old().map(VersionInfo::version).orElse("?") + "): purge it first");
    }

    // ------------------------------------------------------------------ releases

    @Descriptor("install a release file (its modules and libraries, all or nothing): release install <file|url>")
    public String release(@Descriptor("install") String action,
                          @Descriptor("release file: a path (relative to the working directory) or a URL") String file) {
        if (!action.equals("install")) {
            throw new HotcodeException("release: unknown action \"" + action + "\"; use: release install <file|url>, or"
                    + " release downgrade");
        }
        return code.installRelease(file).summary();
    }

    @Descriptor("move back to the release installed before the current one (its file is read again), all or nothing:"
            + " release downgrade")
    public String release(@Descriptor("downgrade") String action) {
        if (!action.equals("downgrade")) {
            throw new HotcodeException("release: unknown action \"" + action + "\"; use: release downgrade, or release"
                    + " install <file|url>");
        }
        List<ReleaseInfo> all = code.releases();
        if (all.size() < 2) {
            throw new HotcodeException("release downgrade: no older release to go back to"
                    + (all.isEmpty() ? " (no release installed)" : ": " + all.get(0) + " is the only one installed"));
        }
        ReleaseInfo previous = all.get(all.size() - 2);
        return code.installRelease(previous.source()).summary() + " (downgrade from " + all.get(all.size() - 1).name()
                + " " + all.get(all.size() - 1).version() + ")";
    }

    @Descriptor("list the installed releases, as release_handler:which_releases: name, version, current or old, bundles")
    public Table releases() {
        Table t = new Table("NAME", "VERSION", "STATUS", "BUNDLES");
        List<ReleaseInfo> all = code.releases();
        for (int i = all.size() - 1; i >= 0; i--) { // newest first, as which_releases lists them
            ReleaseInfo r = all.get(i);
            t.row(r.name(), r.version(), r.status(), String.join(", ", r.bundles()));
        }
        if (all.isEmpty()) {
            t.note("no release installed (hotcode:release install <file>)");
        }
        return t;
    }

    // ------------------------------------------------------------------ usage
    // Gogo answers a call with too few arguments with "Cannot coerce info() to any of [(String)]"; these overloads,
    // one per missing-argument count, answer with the command's usage instead (Gogo picks a method by argument count).

    @Descriptor("with too few arguments: says the usage")
    public Table info() {
        throw usage("info <pid|name>");
    }

    @Descriptor("with too few arguments: says the usage")
    public Object which() {
        throw usage("which <module>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String send() {
        throw usage("send <pid|name> <term>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String send(@Descriptor("(the rest is missing)") String to) {
        throw usage("send <pid|name> <term>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String kill() {
        throw usage("kill <pid> [reason]");
    }

    @Descriptor("with too few arguments: says the usage")
    public String await() {
        throw usage("await <pid> [ms]");
    }

    @Descriptor("with too few arguments: says the usage")
    public String purge() {
        throw usage("purge <module> [kill|migrate]");
    }

    @Descriptor("with too few arguments: says the usage")
    public String softpurge() {
        throw usage("softpurge <module>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String load() {
        throw usage("load <module> <url>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String load(@Descriptor("(the rest is missing)") String module) {
        throw usage("load <module> <url>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String update() {
        throw usage("update <bundle id> <url>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String update(@Descriptor("(the rest is missing)") String bundleId) {
        throw usage("update <bundle id> <url>");
    }

    @Descriptor("with too few arguments: says the usage")
    public String delete() {
        throw usage("delete <module>");
    }

    private static HotcodeException usage(String synopsis) {
        return new HotcodeException("usage: hotcode:" + synopsis + " (help hotcode:" + synopsis.split(" ")[0]
                + " says more)");
    }

    // ------------------------------------------------------------------ other nodes

    private boolean isThisNode(String node) {
        NodeTransport t = nodes.get();
        return t == null ? node.equals("nonode@nohost") : node.equals(t.node());
    }

    /** Erlang's {@code rpc:call(Node, ...)} of the console: {@code request} answered by {@code node}. */
    private Object call(String node, String request, List<Object> args) {
        NodeTransport t = nodes.get();
        if (t == null) {
            throw new HotcodeException(request + ": node " + node + " is not connected: this runtime is no node of a"
                    + " cluster (nonode@nohost; the hotcode.cluster bundle is not running or not configured)");
        }
        return t.call(node, request, args, REMOTE_TIMEOUT_MILLIS);
    }

    private static String sendRemote(NodeTransport t, RemotePid to, Object term) {
        t.send(to, term); // ordered per sender and receiver; a dead letter with its reason, or in doubt, if not delivered
        return "sent " + Terms.format(term) + " to " + to + " on node " + to.node();
    }

    // ------------------------------------------------------------------ internals

    static String describe(PurgeResult r) {
        if (!r.purged()) {
            return r.blockers().isEmpty() ? r.module() + " has no old code: nothing purged"
                    : "not purged: " + r.module() + "'s old code is still run by " + pids(r.blockers());
        }
        return "purged " + r.module() + (r.migrated().isEmpty() ? "" : ": moved " + pids(r.migrated()) + " to the current version")
                + (r.killed().isEmpty() ? "" : (r.migrated().isEmpty() ? ": " : "; ") + "killed " + pids(r.killed()))
                + (r.blockers().isEmpty() ? "" : "; still running after the purge bound: " + pids(r.blockers()));
    }

    /** The pids, or when there are more than a screenful, their count and the first {@link #PIDS_SHOWN}. */
    private static String pids(List<Pid> pids) {
        if (pids.size() <= PIDS_SHOWN) {
            return pids.toString();
        }
        StringBuilder b = new StringBuilder().append(pids.size()).append(" processes: [");
        for (Pid p : pids.subList(0, PIDS_SHOWN)) {
            b.append(p).append(", ");
        }
        return b.append("... ").append(pids.size() - PIDS_SHOWN).append(" more]").toString();
    }

    /** Erlang's answer for a module it has never heard of: non_existing, said plainly. */
    private static String unknown(String module, String consequence) {
        return "no module named " + module + " is known to the code server (non_existing): " + consequence;
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
