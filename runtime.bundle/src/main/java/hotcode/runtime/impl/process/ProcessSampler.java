package hotcode.runtime.impl.process;

import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.spi.Observation.ProcessDetail;
import hotcode.runtime.spi.Observation.Column;
import hotcode.runtime.spi.Observation.ProcessRow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the process table for an observer, on the observer's thread and only when asked: rows of every live process
 * and the count of effects processes made. It reads what a process keeps already ({@code Proc.progress}, the frames,
 * the mailbox), as the system monitor does, and adds nothing to a process or to the message path.
 */
public final class ProcessSampler {
    private final ProcessTable table;
    /** Each live process's effect count at the last {@link #effects()} call, by pid number; only the sampler's caller. */
    private Map<Long, Integer> lastProgress = new HashMap<>();
    private long effects;
    /** True until the first {@link #effects()} call after creation or {@link #forget()}: that call only takes a base. */
    private boolean rebase = true;

    public ProcessSampler(ProcessTable table) {
        this.table = table;
    }

    /** Every live user process as a row of {@code columns} only; mailboxes counted up to {@code mailboxCap}. */
    public List<ProcessRow> rows(int mailboxCap, Set<Column> columns) {
        List<ProcessRow> out = new ArrayList<>(table.count());
        boolean name = columns.contains(Column.NAME);
        boolean module = columns.contains(Column.MODULE);
        boolean old = columns.contains(Column.OLD_CODE);
        boolean mailbox = columns.contains(Column.MAILBOX);
        boolean status = columns.contains(Column.STATUS);
        boolean function = columns.contains(Column.FUNCTION);
        boolean server = columns.contains(Column.SERVER);
        table.forEachLive(p -> {
            if (!p.isInternal() && p.isAlive()) {
                ModuleVersion v = module ? p.topVersion() : null;
                out.add(new ProcessRow(p.id(), name ? p.registeredName() : null, v == null ? null : v.module(),
                        v == null ? null : v.version(), old && p.runsOldCode(), mailbox ? p.mailboxLength(mailboxCap) : -1,
                        status ? status(p) : null, function ? function(p) : null, server && p.behaviour() != null));
            }
        });
        return out;
    }

    /** The live user process numbered {@code id} as a full row, or null. */
    public ProcessRow row(long id, int mailboxCap) {
        Proc p = live(id);
        return p == null ? null : row(p, mailboxCap);
    }

    /** The process numbered {@code id} in detail, or null when it is not live. */
    public ProcessDetail detail(long id) {
        Proc p = table.find(id);
        if (p == null || p.isInternal() || !p.isAlive()) {
            return null;
        }
        return new ProcessDetail(row(p, Integer.MAX_VALUE), p.trapsExits(), p.frames(), p.links(), p.monitors(),
                p.monitoredBy());
    }

    /** The live user process numbered {@code id}, or null. */
    public Proc live(long id) {
        Proc p = table.find(id);
        return p == null || p.isInternal() || !p.isAlive() ? null : p;
    }

    /**
     * Effects counted so far: at each call, each live process adds what its counter moved since the previous call
     * (all of it for a process not seen before); the first call, and the first after {@link #forget()}, only takes
     * the base. Counters are ints that wrap; a difference of ints is right across a wrap. Synchronized: two observers asking at once must not count one move twice.
     */
    public synchronized long effects() {
        Map<Long, Integer> now = new HashMap<>(Math.max(16, lastProgress.size() * 2));
        long[] added = {0};
        Map<Long, Integer> before = lastProgress;
        table.forEachLive(p -> {
            if (!p.isInternal()) {
                int progress = p.progress();
                Integer was = before.get(p.id());
                added[0] += Integer.toUnsignedLong(was == null ? progress : progress - was);
                now.put(p.id(), progress);
            }
        });
        lastProgress = now;
        if (!rebase) {
            effects += added[0];
        }
        rebase = false;
        return effects;
    }

    /** Forgets the counts kept between {@link #effects()} calls (no one has looked for a while): frees their memory. */
    public synchronized void forget() {
        lastProgress = new HashMap<>();
        rebase = true;
    }

    private static ProcessRow row(Proc p, int mailboxCap) {
        ModuleVersion v = p.topVersion();
        return new ProcessRow(p.id(), p.registeredName(), v == null ? null : v.module(),
                v == null ? null : v.version(), p.runsOldCode(), p.mailboxLength(mailboxCap), status(p), function(p),
                p.behaviour() != null);
    }

    private static String status(Proc p) {
        return p.state().name().toLowerCase(Locale.ROOT);
    }

    private static String function(Proc p) {
        if (p.topVersion() == null) {
            return null;
        }
        List<String> frames = p.frames();
        return frames.isEmpty() ? null : frames.get(frames.size() - 1);
    }
}
