package hotcode.runtime.impl.process;

import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.spi.Observation.ProcessDetail;
import hotcode.runtime.spi.Observation.Column;
import hotcode.runtime.spi.Observation.ProcessRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the process table for an observer, on the observer's thread and only when asked: rows of every live process
 * and the count of effects processes made. It reads what a process keeps already ({@code Proc.progress}, the frames,
 * the mailbox), as the system monitor does, and adds nothing to a process or to the message path.
 */
public final class ProcessSampler {
    private final ProcessTable table;
    /** Each live process's effect count at the last {@link #effects()} call, by pid number; only the sampler's caller. */
    private LongIntMap lastProgress = new LongIntMap(16);
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

    /** Up to {@code max} messages waiting for the live user process numbered {@code id}, oldest first; or null. */
    public List<Object> messages(long id, int max) {
        Proc p = live(id);
        return p == null ? null : p.mailboxSnapshot(max);
    }

    /** The live user process numbered {@code id}, or null. */
    public Proc live(long id) {
        Proc p = table.find(id);
        return p == null || p.isInternal() || !p.isAlive() ? null : p;
    }

    /** What one pass over the table counted: effects so far (see {@link #effects()}) and live user processes. */
    public record Effects(long effects, int live) {
    }

    /**
     * Effects counted so far, and the live user processes, in one pass: at each call, each live process adds what its
     * counter moved since the previous call (all of it for a process not seen before); the first call, and the first
     * after {@link #forget()}, only takes the base. Counters are ints that wrap; a difference of ints is right across a
     * wrap. Synchronized: two observers asking at once must not count one move twice. The previous counts are kept in
     * a map of primitives (no boxing): 100,000 processes cost 1.5 MB and a pass of a few milliseconds.
     */
    public synchronized Effects effects() {
        LongIntMap before = lastProgress;
        LongIntMap now = new LongIntMap(Math.max(16, before.size() + before.size() / 4));
        long[] added = {0};
        int[] live = {0};
        table.forEachLive(p -> {
            if (!p.isInternal()) {
                int progress = p.progress();
                long id = p.id();
                int was = before.get(id, Integer.MIN_VALUE);
                added[0] += Integer.toUnsignedLong(was == Integer.MIN_VALUE ? progress : progress - was);
                now.put(id, progress);
                if (p.isAlive()) {
                    live[0]++;
                }
            }
        });
        lastProgress = now;
        if (!rebase) {
            effects += added[0];
        }
        rebase = false;
        return new Effects(effects, live[0]);
    }

    /** Forgets the counts kept between {@link #effects()} calls (no one has looked for a while): frees their memory. */
    public synchronized void forget() {
        lastProgress = new LongIntMap(16);
        rebase = true;
    }

    /**
     * Pid number to count, open addressing with linear probing: the sampler's memory between two calls. A counter
     * that happens to be {@link Integer#MIN_VALUE} reads as absent, which only counts that process's moves again from
     * its full value once: the price of having no boxed values.
     */
    static final class LongIntMap {
        private long[] keys;
        private int[] values;
        private int size;

        LongIntMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, expected * 2) - 1) << 1;
            keys = new long[cap];
            values = new int[cap];
        }

        int size() {
            return size;
        }

        int get(long key, int absent) {
            int mask = keys.length - 1;
            for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return values[i];
                }
                if (k == 0) {
                    return absent;
                }
            }
        }

        /** Keys are pid numbers, never 0 (user pids count from 1). */
        void put(long key, int value) {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            for (int i = mix(key) & mask; ; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    values[i] = value;
                    return;
                }
                if (keys[i] == 0) {
                    keys[i] = key;
                    values[i] = value;
                    size++;
                    return;
                }
            }
        }

        private void grow() {
            long[] ok = keys;
            int[] ov = values;
            keys = new long[ok.length * 2];
            values = new int[ok.length * 2];
            size = 0;
            for (int i = 0; i < ok.length; i++) {
                if (ok[i] != 0) {
                    put(ok[i], ov[i]);
                }
            }
        }

        private static int mix(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32));
        }
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
