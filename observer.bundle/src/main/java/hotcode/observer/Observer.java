package hotcode.observer;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseInfo;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.CodeEvent;
import hotcode.runtime.spi.Observation.ProcessDetail;
import hotcode.runtime.spi.Observation.ProcessRow;
import hotcode.runtime.spi.ProcessQuery;
import hotcode.runtime.spi.RuntimeAccess;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the page shows and does, as values ready for JSON, with no servlet in sight (so it is tested without a web
 * server). It reads the runtime when a page asks and only then: the overview's samples are taken by the requests
 * themselves, at most one per {@link History#MIN_GAP_MILLIS}, so with no page open nothing is sampled at all.
 */
final class Observer {
    /** A mailbox is counted no further than this for the table: a huge one costs no more to show than this. */
    static final int MAILBOX_CAP = 1_000_000;
    /** A process's page shows this many of the messages waiting in its mailbox, oldest first. */
    static final int FIRST_MESSAGES = 20;
    /** A message (a term) on a page is cut at this many characters. */
    static final int TERM_CHARS = 300;
    /**
     * How long a page waits for another node's answer: the page polls every one or two seconds, and a node that does
     * not answer in this time is named in the page's message while the page goes on.
     */
    static final long REMOTE_TIMEOUT_MILLIS = 3000;
    private static final Pattern PID = Pattern.compile("\\s*<?\\s*(?:0\\.)?(\\d{1,18})(?:\\.0)?\\s*>?\\s*");

    private final History history = new History();
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** A page's answer: an HTTP status and a JSON body. */
    record Answer(int status, Object body) {
        static Answer ok(Object body) {
            return new Answer(200, body);
        }

        static Answer error(int status, String message) {
            return new Answer(status, Map.of("error", message));
        }
    }

    private static RuntimeAccess runtime() {
        return Access.get(); // names the runtime bundle when it is not running; the servlet answers 503 with that
    }

    // ------------------------------------------------------------------ views

    Answer overview(long sinceMillis, long afterSeq) {
        long t0 = System.nanoTime();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        RuntimeAccess rt = runtime();
        Observation obs = rt.observation();
        History.Sample latest = history.sample(obs);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("now", System.currentTimeMillis());
        out.put("latest", latest.toMap());
        out.put("samples", history.since(sinceMillis).stream().map(History.Sample::toMap).toList());
        List<CodeEvent> events = obs.codeEvents(afterSeq);
        List<ModuleInfo> modules = modulesForOverview(rt, obs);
        out.put("modulesLoaded", modules.stream().filter(m -> m.current().isPresent()).count());
        out.put("modulesWithOldCode", modules.stream().filter(m -> m.old().isPresent()).count());
        out.put("modules", modules.stream().map(Observer::module).toList());
        out.put("events", events.stream().map(Observer::event).toList());
        // what this answer cost the server, in wall and CPU time (the cost bench reads them)
        out.put("answerMicros", (System.nanoTime() - t0) / 1000);
        out.put("answerCpuMicros", (THREADS.getCurrentThreadCpuTime() - cpu0) / 1000);
        return Answer.ok(out);
    }

    /**
     * The overview's module table, read again when code changed (a new code event) or every
     * {@link #MODULES_MAX_AGE_MILLIS}: counting the processes on each version walks every process once per version,
     * too much for each second's sample of a runtime with 100,000 processes.
     */
    private synchronized List<ModuleInfo> modulesForOverview(RuntimeAccess rt, Observation obs) {
        List<CodeEvent> latest = obs.codeEvents(modulesSeq);
        long seq = latest.isEmpty() ? modulesSeq : latest.get(latest.size() - 1).seq();
        long now = System.currentTimeMillis();
        if (modulesCache == null || seq != modulesSeq || now - modulesAt > MODULES_MAX_AGE_MILLIS) {
            modulesCache = rt.codeServer().modules();
            modulesSeq = seq;
            modulesAt = now;
        }
        return modulesCache;
    }

    static final long MODULES_MAX_AGE_MILLIS = 5000;
    private List<ModuleInfo> modulesCache; // guarded by this
    private long modulesSeq = -1;
    private long modulesAt;

    Answer modules() {
        RuntimeAccess rt = runtime();
        List<ModuleInfo> modules = rt.codeServer().modules();
        List<ProcessRow> rows = modules.stream().anyMatch(m -> m.old().isPresent())
                ? rt.observation().processes(1, EnumSet.of(Observation.Column.MODULE, Observation.Column.OLD_CODE))
                : List.of(); // the pids on old code, only when some module has it
        List<Object> out = new ArrayList<>();
        for (ModuleInfo m : modules) {
            Map<String, Object> mm = module(m);
            if (m.old().isPresent()) {
                mm.put("oldPids", rows.stream().filter(r -> r.oldCode() && m.name().equals(r.module()))
                        .limit(20).map(ProcessRow::pid).toList());
            }
            out.add(mm);
        }
        return Answer.ok(Map.of("modules", out));
    }

    /** One module, or a 404 that names it. */
    Answer module(String name) {
        Optional<ModuleInfo> m = runtime().codeServer().which(name);
        return m.isEmpty() ? Answer.error(404, "no module named " + name + " is known to the code server")
                : Answer.ok(Map.of("modules", List.of(module(m.get()))));
    }

    /**
     * The process table: this node's, or with {@code node} (another node's name) that node's, filtered, sorted and
     * paged there. A node that is not connected or does not answer in time: a 503 that names it.
     */
    Answer processes(String node, ProcessQuery q) {
        long t0 = System.nanoTime();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        Observation obs = runtime().observation();
        boolean remote = isRemote(obs, node);
        // locally two passes: every process for the columns the query filters and sorts by, then the page's rows
        // whole; on another node the same two passes there (Observation.query), and only the page comes back
        ProcessQuery.Result r = remote ? obs.query(node, q, REMOTE_TIMEOUT_MILLIS) : obs.query(q, MAILBOX_CAP);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", remote ? node : obs.node());
        out.put("remote", remote);
        out.put("total", r.total());
        out.put("matched", r.matched());
        out.put("page", r.page());
        out.put("pages", r.pages());
        out.put("size", q.size());
        out.put("sort", q.sort());
        out.put("descending", q.descending());
        out.put("rows", r.rows().stream().map(Observer::row).toList());
        out.put("millis", (System.nanoTime() - t0) / 1_000_000);
        out.put("answerMicros", (System.nanoTime() - t0) / 1000);
        out.put("answerCpuMicros", (THREADS.getCurrentThreadCpuTime() - cpu0) / 1000);
        return Answer.ok(out);
    }

    /** {@link #processes(String, ProcessQuery)} of this node. */
    Answer processes(ProcessQuery q) {
        return processes(null, q);
    }

    Answer process(String pidText) {
        return process(null, pidText);
    }

    /** One process of this node, or with {@code node} of that node (made text there: see Observation.ProcessReport). */
    Answer process(String node, String pidText) {
        long id = pidNumber(pidText);
        if (id < 0) {
            return Answer.error(404, "not a pid: " + pidText + " (write it as <0.N.0>, 0.N.0 or N)");
        }
        RuntimeAccess rt = runtime();
        if (isRemote(rt.observation(), node)) {
            return remoteProcess(rt.observation(), node, id);
        }
        ProcessDetail d = rt.observation().process(id);
        if (d == null) {
            return Answer.error(404, gone(rt, id));
        }
        Map<String, Object> out = row(d.row());
        out.put("node", rt.observation().node());
        out.put("remote", false);
        out.put("trapExit", d.trapExit());
        out.put("frames", d.frames());
        out.put("links", d.links().stream().map(String::valueOf).toList());
        out.put("monitors", d.monitors().stream().map(String::valueOf).toList());
        out.put("monitoredBy", d.monitoredBy().stream().map(String::valueOf).toList());
        List<Object> waiting = rt.observation().messages(id, FIRST_MESSAGES);
        out.put("messages", waiting == null ? List.of() : waiting.stream().map(Observer::term).toList());
        if (d.row().server()) {
            Pid pid = rt.observation().pid(id);
            try {
                out.put("state", pid == null ? null : Terms.format(rt.getState(pid)));
            } catch (RuntimeException e) {
                out.put("stateError", e.getMessage());
            }
        }
        return Answer.ok(out);
    }

    private static Answer remoteProcess(Observation obs, String node, long id) {
        Observation.ProcessReport p = obs.process(node, id, FIRST_MESSAGES, TERM_CHARS, REMOTE_TIMEOUT_MILLIS);
        if (p.gone() != null) {
            return Answer.error(404, p.gone());
        }
        Map<String, Object> out = row(p.row());
        out.put("node", node);
        out.put("remote", true);
        out.put("trapExit", p.trapExit());
        out.put("frames", p.frames());
        out.put("links", p.links());
        out.put("monitors", p.monitors());
        out.put("monitoredBy", p.monitoredBy());
        out.put("messages", p.messages());
        if (p.row().server()) {
            out.put(p.state() != null ? "state" : "stateError", p.state() != null ? p.state() : p.stateError());
        }
        return Answer.ok(out);
    }

    /**
     * The nodes of the cluster ({@code hotcode:nodes}: number, name, incarnation, address, connected, versions of every
     * module), or, with {@code brief}, only this node's name and the connected nodes' names (the node selector: no
     * node is asked anything). Alone, the runtime is {@code nonode@nohost} and says so.
     */
    Answer nodes(boolean brief) {
        RuntimeAccess rt = runtime();
        Observation obs = rt.observation();
        String self = obs.node();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", self);
        boolean alone = Observation.NO_NODE.equals(self);
        out.put("clustered", !alone);
        if (alone) {
            out.put("message", Observation.NO_NODE + ": this runtime is no node of a cluster (the hotcode.cluster bundle"
                    + " is not running or not configured); the pages show this runtime alone");
        }
        if (brief) {
            List<String> names = new ArrayList<>();
            names.add(self);
            if (!alone) {
                names.addAll(rt.nodes());
            }
            out.put("names", names);
            return Answer.ok(out);
        }
        List<Object> rows = new ArrayList<>();
        if (!alone) {
            for (Observation.NodeRow n : obs.nodes(REMOTE_TIMEOUT_MILLIS)) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("index", n.index());
                m.put("node", n.node());
                m.put("self", n.self());
                m.put("incarnation", n.incarnation() == 0 ? null : Long.toString(n.incarnation()));
                m.put("address", n.address());
                m.put("connected", n.connected());
                m.put("modules", n.modules());
                m.put("problem", n.problem());
                rows.add(m);
            }
        }
        out.put("nodes", rows);
        return Answer.ok(out);
    }

    /** Whether {@code node} names another node than this one (null or blank: this one). */
    private static boolean isRemote(Observation obs, String node) {
        return node != null && !node.isBlank() && !node.equals(obs.node());
    }

    Answer deadLetters() {
        RuntimeAccess rt = runtime();
        Observation.Totals t = rt.observation().totals();
        List<DeadLetter> recent = rt.recentDeadLetters();
        List<Object> latest = new ArrayList<>();
        for (int i = recent.size() - 1; i >= 0 && latest.size() < 100; i--) {
            DeadLetter d = recent.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", d.at().toString());
            m.put("from", d.from() == null ? "unknown" : String.valueOf(d.from()));
            m.put("to", String.valueOf(d.to()));
            m.put("reason", Terms.format(d.reason()));
            m.put("message", term(d.message()));
            latest.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", t.deadLetters());
        out.put("byReason", t.deadLettersByReason());
        out.put("latest", latest);
        return Answer.ok(out);
    }

    Answer upgrades(long afterSeq) {
        RuntimeAccess rt = runtime();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("events", rt.observation().codeEvents(afterSeq).stream().map(Observer::event).toList());
        List<Object> releases = new ArrayList<>();
        for (ReleaseInfo r : rt.codeServer().releases()) {
            releases.add(Map.of("name", r.name(), "version", r.version(), "status", r.status()));
        }
        out.put("releases", releases);
        return Answer.ok(out);
    }

    // ------------------------------------------------------------------ actions (POST only, token checked by the servlet)

    Answer purge(String module, boolean soft) {
        CodeServer code = runtime().codeServer();
        Optional<ModuleInfo> m = code.which(module);
        if (m.isEmpty()) {
            return Answer.error(404, "no module named " + module + " is known to the code server");
        }
        if (m.get().old().isEmpty()) {
            return Answer.ok(Map.of("ok", true, "message", module + " has no old code: nothing to purge"));
        }
        String old = m.get().old().get().version();
        PurgeResult r = soft ? code.softPurge(module) : code.purge(module);
        String message;
        if (soft && !r.purged()) {
            message = "soft purge of " + module + " " + old + " refused: " + pids(r.blockers()) + " still run it";
        } else {
            message = "purged " + module + " " + old + (r.killed().isEmpty() ? "; nobody was killed" : "; killed " + pids(r.killed()))
                    + (r.blockers().isEmpty() ? "" : "; did not stop in time: " + pids(r.blockers()));
        }
        return Answer.ok(Map.of("ok", r.purged(), "message", message));
    }

    /** Kills a process of this node, or with {@code node} of that node (there: {@code exit(Pid, kill)}). */
    Answer kill(String node, String pidText) {
        long id = pidNumber(pidText);
        Observation obs = runtime().observation();
        if (!isRemote(obs, node)) {
            return kill(pidText);
        }
        if (id < 0) {
            return Answer.error(404, "not a pid: " + pidText + " (write it as <0.N.0>, 0.N.0 or N)");
        }
        Observation.Outcome o = obs.kill(node, id, REMOTE_TIMEOUT_MILLIS);
        return o.ok() ? Answer.ok(Map.of("ok", true, "message", o.message())) : Answer.error(410, o.message());
    }

    Answer kill(String pidText) {
        return onProcess(pidText, (rt, pid) -> {
            rt.exit(pid, Hotcode.KILL);
            return "sent kill to " + pid;
        });
    }

    Answer suspend(String pidText) {
        return onProcess(pidText, (rt, pid) -> {
            rt.suspend(pid);
            return "suspended " + pid;
        });
    }

    Answer resume(String pidText) {
        return onProcess(pidText, (rt, pid) -> {
            rt.resume(pid);
            return "resumed " + pid;
        });
    }

    private interface Action {
        String run(RuntimeAccess rt, Pid pid);
    }

    private Answer onProcess(String pidText, Action a) {
        long id = pidNumber(pidText);
        if (id < 0) {
            return Answer.error(404, "not a pid: " + pidText + " (write it as <0.N.0>, 0.N.0 or N)");
        }
        RuntimeAccess rt = runtime();
        Pid pid = rt.observation().pid(id);
        if (pid == null) {
            return Answer.error(410, gone(rt, id));
        }
        try {
            return Answer.ok(Map.of("ok", true, "message", a.run(rt, pid)));
        } catch (RuntimeException e) { // e.g. suspend of a process that is no server, or one that exited meanwhile
            return Answer.error(409, String.valueOf(e.getMessage()));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The number N of {@code <0.N.0>}, {@code 0.N.0} or {@code N}; -1 for anything else. */
    static long pidNumber(String text) {
        if (text == null) {
            return -1;
        }
        Matcher m = PID.matcher(text);
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Why there is no live process numbered {@code id}: it has exited, or was never spawned. */
    private static String gone(RuntimeAccess rt, long id) {
        String pid = "<0." + id + ".0>";
        return id >= 1 && id <= rt.observation().totals().spawned()
                ? "process " + pid + " has exited"
                : "no process " + pid + ": this runtime has not spawned it";
    }

    private static String pids(List<Pid> pids) {
        String s = pids.stream().limit(20).map(String::valueOf).reduce((a, b) -> a + " " + b).orElse("nobody");
        return pids.size() > 20 ? s + " and " + (pids.size() - 20) + " more" : s;
    }

    /**
     * A message as a term for a page, cut at {@value #TERM_CHARS} characters. The message belongs to a process, which
     * may be changing it (it should not, but a message is any object): a toString that throws is shown as such.
     */
    static String term(Object message) {
        String s;
        try {
            s = Terms.format(message);
        } catch (RuntimeException | StackOverflowError e) {
            return "(cannot be shown: " + message.getClass().getName() + "'s toString threw " + e + ")";
        }
        return s.length() <= TERM_CHARS ? s : s.substring(0, TERM_CHARS) + "... (" + s.length() + " characters)";
    }

    static Map<String, Object> row(ProcessRow r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", r.pid());
        m.put("name", r.name());
        m.put("module", r.module());
        m.put("version", r.version());
        m.put("old", r.oldCode());
        m.put("mailbox", r.mailbox());
        m.put("status", r.status());
        m.put("function", r.function());
        m.put("server", r.server());
        return m;
    }

    static Map<String, Object> module(ModuleInfo m) {
        Map<String, Object> mm = new LinkedHashMap<>();
        mm.put("name", m.name());
        mm.put("status", m.status());
        mm.put("current", m.current().map(Observer::version).orElse(null));
        mm.put("old", m.old().map(Observer::version).orElse(null));
        return mm;
    }

    private static Map<String, Object> version(VersionInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", v.version());
        m.put("vsn", v.vsn());
        m.put("bundleId", v.bundleId());
        m.put("location", v.location());
        m.put("processes", v.processes());
        return m;
    }

    static Map<String, Object> event(CodeEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq());
        m.put("at", e.at().toEpochMilli());
        m.put("kind", e.kind());
        m.put("module", e.module());
        m.put("from", e.from());
        m.put("to", e.to());
        m.put("micros", e.micros());
        m.put("count", e.servers());
        m.put("detail", e.detail());
        return m;
    }
}
