package hotcode.runtime.impl;

import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.ProcessSampler;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.upgrade.UpgradeOutcome;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.ProcessQuery;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The kernel's {@link Observation}: the process table through a {@link ProcessSampler}, the dead letter office's
 * counts, and a timeline of the code server's events, which it hears as a {@link CodeServerImpl.Listener} (a few
 * hundred kept; one entry per load, rollback, purge or release, so the timeline costs nothing between upgrades).
 */
final class KernelObservation implements Observation, CodeServerImpl.Listener {
    static final int TIMELINE = 500;
    /** After this long without a {@link #totals()} call nobody is looking: the per-process counts are dropped. */
    private static final long IDLE_NANOS = 60_000_000_000L;

    private final ProcessTable processes;
    private final DeadLetterOffice deadLetters;
    private final ProcessSampler sampler;
    private final ArrayDeque<CodeEvent> timeline = new ArrayDeque<>(); // guarded by itself
    private long seq; // guarded by timeline
    private volatile long lastTotals;
    private final NodeObservation nodes;

    KernelObservation(Kernel kernel, ProcessTable processes, DeadLetterOffice deadLetters) {
        this.processes = processes;
        this.deadLetters = deadLetters;
        this.sampler = new ProcessSampler(processes);
        this.nodes = new NodeObservation(kernel, this);
    }

    /** Both ends of the observer's requests to other nodes. */
    NodeObservation nodes() {
        return nodes;
    }

    // ------------------------------------------------------------------ other nodes: NodeObservation

    @Override
    public String node() {
        return nodes.nodeName();
    }

    @Override
    public List<NodeRow> nodes(long timeoutMillis) {
        return nodes.nodes(timeoutMillis);
    }

    @Override
    public ProcessQuery.Result query(String node, ProcessQuery q, long timeoutMillis) {
        return nodes.query(node, q, MAILBOX_CAP, timeoutMillis);
    }

    @Override
    public ProcessReport process(String node, long id, int messages, int termChars, long timeoutMillis) {
        return nodes.process(node, id, messages, termChars, timeoutMillis);
    }

    @Override
    public Outcome kill(String node, long id, long timeoutMillis) {
        return nodes.kill(node, id, timeoutMillis);
    }

    /** A remote table counts mailboxes as far as the observer does its own (hotcode.observer's Observer). */
    static final int MAILBOX_CAP = 1_000_000;

    // ------------------------------------------------------------------ this node

    @Override
    public List<ProcessRow> processes(int mailboxCap, Set<Column> columns) {
        return sampler.rows(Math.max(1, mailboxCap), columns);
    }

    @Override
    public ProcessRow row(long id, int mailboxCap) {
        return sampler.row(id, Math.max(1, mailboxCap));
    }

    @Override
    public Totals totals() {
        long now = System.nanoTime();
        if (now - lastTotals > IDLE_NANOS) {
            sampler.forget();
        }
        lastTotals = now;
        ProcessSampler.Effects e = sampler.effects(); // one pass: effects and the live count
        return new Totals(e.live(), processes.spawned(), e.effects(), deadLetters.count(), deadLetters.countsByReason());
    }

    @Override
    public ProcessDetail process(long id) {
        return sampler.detail(id);
    }

    @Override
    public List<Object> messages(long id, int max) {
        return sampler.messages(id, max);
    }

    @Override
    public Pid pid(long id) {
        return sampler.live(id);
    }

    @Override
    public List<CodeEvent> codeEvents(long afterSeq) {
        synchronized (timeline) {
            List<CodeEvent> out = new ArrayList<>();
            for (CodeEvent e : timeline) {
                if (e.seq() > afterSeq) {
                    out.add(e);
                }
            }
            return out;
        }
    }

    // ------------------------------------------------------------------ the code server's events

    @Override
    public void loaded(UpgradeOutcome u) {
        add("loaded", u.module(), label(u.from()), label(u.to()), micros(u), u.servers(), null);
    }

    @Override
    public void rolledBack(UpgradeOutcome u) {
        add("rolled_back", u.module(), label(u.from()), label(u.to()), micros(u), u.servers(),
                u.cause() == null ? null : u.cause().getMessage());
    }

    @Override
    public void purged(ModuleVersion old, PurgeResult r, long nanos) {
        String moved = r.migrated().isEmpty() ? null : "migrated " + r.migrated().size() + " to the current version: "
                + pids(r.migrated());
        String killed = r.killed().isEmpty() ? null : "killed " + pids(r.killed());
        String detail = moved == null ? killed : killed == null ? moved : moved + "; " + killed;
        add("purged", old.module(), label(old), null, nanos / 1000, r.killed().size(), detail);
    }

    private static String pids(List<Pid> pids) {
        return pids.stream().limit(20).map(String::valueOf).collect(Collectors.joining(" "))
                + (pids.size() > 20 ? " and " + (pids.size() - 20) + " more" : "");
    }

    @Override
    public void releaseInstalled(ReleaseResult r) {
        add("release", null, null, r.release() == null ? null : String.valueOf(r.release()), -1, 0, r.summary());
    }

    private void add(String kind, String module, String from, String to, long micros, int servers, String detail) {
        synchronized (timeline) {
            timeline.addLast(new CodeEvent(++seq, Instant.now(), kind, module, from, to, micros, servers, detail));
            if (timeline.size() > TIMELINE) {
                timeline.removeFirst();
            }
        }
    }

    private static String label(ModuleVersion v) {
        return v == null ? null : v.label() + " (vsn " + v.vsn() + ")";
    }

    private static long micros(UpgradeOutcome u) {
        return (u.prepareNanos() + u.endNanos()) / 1000; // the servers' part: prepare (suspend, codeChange) and commit
    }
}
