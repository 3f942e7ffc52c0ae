package hotcode.runtime.impl.shell;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.impl.process.ProcessInfo;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.SystemMonitor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The tables of {@code hotcode:ps}, {@code info} and {@code modules}, made apart from the Gogo commands so that this
 * node can answer them for another node too (Erlang's {@code rpc:call(Node, ...)} of the console: the cluster bundle
 * asks through {@code LocalNode.serve}, which must not need Gogo). A table crosses nodes in the neutral form of
 * {@link #neutral}: pids stay pids, so the asking node prints them as its own {@code <N.id.0>}, which its
 * {@code info} and {@code send} then take.
 */
public final class Inspect {
    static final int PS_ROWS = 50;

    private Inspect() {
    }

    public static Table ps(ProcessTable processes, SystemMonitor monitor, boolean all) {
        Table t = new Table("PID", "NAME", "MODULE", "VERSION", "OLD", "MAILBOX", "STATE", "ALERT");
        Map<Pid, String> alerts = new HashMap<>();
        for (SystemAlert a : monitor.alerts()) {
            alerts.merge(a.pid(), a.kind().toString(), (x, y) -> x + "," + y);
        }
        List<Pid> pids = processes.pids();
        int shown = 0;
        for (Pid pid : pids) {
            if (!all && shown == PS_ROWS) {
                t.note("... " + (pids.size() - shown) + " more (hotcode:ps --all)");
                break;
            }
            ProcessInfo p = processes.info(pid);
            t.row(pid, orDash(p.registeredName()), orDash(p.module()), orDash(p.version()), p.old() ? "old" : "",
                    p.messageQueueLen(), p.status(), alerts.getOrDefault(pid, ""));
            shown++;
        }
        t.note(pids.size() + " processes");
        return t;
    }

    public static Table info(ProcessInfo p) {
        Table t = new Table("FIELD", "VALUE");
        List<String> frames = p.frames();
        t.row("pid", p.pid()).row("registered_name", orDash(p.registeredName())).row("state", p.status())
                .row("current_function", orDash(p.currentFunction()))
                .row("stack (innermost first)", frames.isEmpty() ? "-" : String.join(" <- ", frames.reversed()))
                .row("old_code", p.oldCode())
                .row("message_queue_len", p.messageQueueLen()).row("trap_exit", p.trapExit())
                .row("links", p.links()).row("monitors", p.monitors()).row("monitored_by", p.monitoredBy());
        return t;
    }

    public static Table modules(CodeServer code) {
        Table t = new Table("MODULE", "STATUS", "CURRENT", "PROCS", "OLD", "PROCS", "BUNDLE");
        for (ModuleInfo m : code.modules()) {
            Optional<VersionInfo> c = m.current();
            Optional<VersionInfo> o = m.old();
            t.row(m.name(), m.status(), c.map(VersionInfo::version).orElse("-"), c.map(VersionInfo::processes).map(String::valueOf).orElse("-"),
                    o.map(VersionInfo::version).orElse("-"), o.map(VersionInfo::processes).map(String::valueOf).orElse("-"),
                    c.or(() -> o).map(VersionInfo::bundleId).map(String::valueOf).orElse("-"));
        }
        return t;
    }

    /**
     * {@code t} as JDK types and pids only (what crosses nodes): {@code [Columns, Rows, Notes]}, each a list; a cell
     * is a pid, a number, a boolean, a string or a list of these, anything else its text.
     */
    public static List<Object> neutral(Table t) {
        List<Object> rows = new ArrayList<>();
        for (List<Object> r : t.rows()) {
            List<Object> cells = new ArrayList<>();
            for (Object c : r) {
                cells.add(cell(c));
            }
            rows.add(cells);
        }
        return List.of(new ArrayList<Object>(t.columns()), rows, new ArrayList<Object>(t.notes()));
    }

    private static Object cell(Object c) {
        if (c instanceof Pid || c instanceof Number || c instanceof Boolean || c instanceof String) {
            return c;
        }
        if (c instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(cell(e)));
            return out;
        }
        return String.valueOf(c);
    }

    /** The table {@link #neutral} wrote, as node {@code node} answered it; a clear error when it is not one. */
    static Table table(Object answer, String node) {
        if (!(answer instanceof List<?> l) || l.size() != 3 || !(l.get(0) instanceof List<?> columns)
                || !(l.get(1) instanceof List<?> rows) || !(l.get(2) instanceof List<?> notes)) {
            throw new HotcodeException("node " + node + " answered with something that is not a table: " + answer);
        }
        Table t = new Table(columns.stream().map(String::valueOf).toArray(String[]::new));
        for (Object r : rows) {
            if (!(r instanceof List<?> cells) || cells.size() != columns.size()) {
                throw new HotcodeException("node " + node + " answered a table row that does not fit its columns "
                        + columns + ": " + r);
            }
            t.row(cells.toArray());
        }
        notes.forEach(n -> t.note(String.valueOf(n)));
        return t;
    }

    static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
