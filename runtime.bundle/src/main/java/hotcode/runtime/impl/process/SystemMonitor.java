package hotcode.runtime.impl.process;

import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.api.SystemAlert.Kind;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The system monitor, after Erlang's {@code erlang:system_monitor}: finds processes that are in trouble or make
 * trouble, logs each finding once (and once more when it clears) and keeps it readable as a {@link SystemAlert}.
 * <ul>
 * <li>{@link Kind#LONG_SCHEDULE}: a process that keeps its carrier thread, running without a receive, send, sleep or
 *     other runtime effect for longer than the limit. Java cannot preempt a virtual thread: as many CPU loops as there
 *     are cores stop every other process, silently.</li>
 * <li>{@link Kind#LONG_MESSAGE_QUEUE}: a mailbox longer than the limit (unbounded, as in Erlang: a receiver that falls
 *     behind, or messages no receive matches, fill the heap without a word).</li>
 * <li>{@link Kind#RUNS_PURGED_CODE}: a process a purge could not kill within its bound, still running the dropped
 *     version's classes (told by the code server after each purge, as a listener).</li>
 * </ul>
 *
 * <p><b>How, and at what cost.</b> One daemon platform thread samples the process table every interval: a platform
 * thread, because the processes it must catch are the ones that hold every carrier of the virtual threads. Nothing is
 * added to the message path or to a process: a sample reads what a process already keeps. For each process it counts
 * the mailbox, stopping at the limit, and, only for a process neither waiting in {@code receive} nor parked, reads the
 * counter of messages taken and effects ({@code Proc.progress}, bumped by receive, send, spawn, link, monitor, exit,
 * sleep). A process seen running in every sample with that counter unchanged for longer than the limit, and on a
 * carrier when the limit is reached, is reported. A sample never takes more than a tenth of a core: when one takes
 * longer than a tenth of the interval, the next waits ten times as long as it took.
 *
 * <p><b>Limits of the detection</b> (it samples; it does not trace): a loop that takes a message or sends at each turn
 * counts as returning to the runtime, even though it may never give up its carrier (a receive that finds a message
 * does not yield); a qualified call or a loop step does not count, though it too goes through the runtime, because
 * neither lets another process run. A process that blocks in JDK calls (I/O, locks) between long stretches of
 * computation is reported only if every sample happens to find it running. The duration is measured from the first
 * sample that saw it running, so it is late by up to one interval.
 */
public final class SystemMonitor implements ModuleRegistry.Listener, AutoCloseable {
    /**
     * The monitor's settings: {@code intervalMillis} between samples (0: no sampling thread at all),
     * {@code longScheduleMillis} (0: not checked), {@code longMessageQueue} messages (0: not checked).
     */
    public record Settings(long intervalMillis, long longScheduleMillis, int longMessageQueue) {
        /**
         * A quarter of a second between samples: a long schedule is found within 1.25 s, and a sample of 100,000
         * waiting processes (6 to 10 ms measured on a loaded 2-core machine) costs 2 to 4 percent of one core. One
         * second of CPU without a receive is far beyond any message handler's budget; 100,000 messages is about
         * 10 MB of mailbox, and a receiver that far behind is not catching up.
         */
        public static final Settings DEFAULTS = new Settings(250, 1000, 100_000);

        public Settings {
            intervalMillis = Math.max(0, intervalMillis);
            longScheduleMillis = Math.max(0, longScheduleMillis);
            longMessageQueue = Math.max(0, longMessageQueue);
        }
    }

    /** An alert's identity: one per process and kind, and for purged code one per purged version. */
    private record Key(Proc proc, Kind kind, ModuleVersion purged) {
    }

    /** A process seen running: the counter it had, since when (nanoTime), in which sample last. Sampler only. */
    private static final class Run {
        int progress;
        long since;
        long seen;
        boolean raised;

        Run(int progress, long since, long seen) {
            this.progress = progress;
            this.since = since;
            this.seen = seen;
        }
    }

    private final ProcessTable processes;
    // volatile: a new configuration replaces them while the runtime runs (settings(Settings)); a sample reads them
    // under the monitor's lock, as settings(Settings) writes them
    private volatile Settings settings;
    private volatile long longScheduleNanos;
    private volatile int queueLimit;
    private final ConcurrentHashMap<Key, SystemAlert> alerts = new ConcurrentHashMap<>();
    /** Processes seen running (not waiting, not parked), by the sampler; small unless the machine is overloaded. */
    private final Map<Proc, Run> running = new HashMap<>();
    private long generation;
    private volatile Consumer<String> warn = Log::warn;
    private volatile Consumer<String> info = Log::info;
    private volatile Thread thread;
    private boolean started; // start() was called: new settings that turn sampling on start it (guarded by this)
    private volatile boolean closed;
    private volatile long lastSampleNanos;
    private volatile int lastSampleProcesses;
    private int visited;

    public SystemMonitor(ProcessTable processes, Settings settings) {
        this.processes = processes;
        use(settings);
    }

    // ------------------------------------------------------------------ API

    /** Starts sampling on a daemon platform thread, unless the settings turn sampling off. */
    public synchronized void start() {
        started = true;
        if (thread != null || closed || !active()) {
            return;
        }
        thread = Thread.ofPlatform().daemon().name("hotcode-system-monitor").start(this::run);
    }

    /**
     * New settings (a configuration update), taken at the next sample: sampling starts when they turn it on and the
     * monitor was started, and the sampling thread ends when they turn it off. Alerts already raised stay until
     * cleared as usual.
     */
    public synchronized void settings(Settings s) {
        use(s);
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // the new interval counts from now; an inactive monitor's thread ends
        } else if (started) {
            start();
        }
    }

    /** Stops sampling (the runtime is stopping); waits a moment for a sample in progress. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            t.join(1000);
        }
    }

    /** Whether the sampling thread is running. */
    public boolean sampling() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    public Settings settings() {
        return settings;
    }

    /** The alerts that hold now, oldest first. */
    public List<SystemAlert> alerts() {
        List<SystemAlert> out = new ArrayList<>();
        alerts.forEach((key, alert) -> {
            if (key.proc().isAlive()) {
                out.add(alert);
            } else if (key.kind() != Kind.LONG_SCHEDULE) { // the sampler's own; with sampling off, reads clear the rest
                clear(key, "it exited");
            }
        });
        out.sort(Comparator.comparing(SystemAlert::since).thenComparing(SystemAlert::pid));
        return out;
    }

    /** How long the last sample took, in nanoseconds, and how many processes it looked at. */
    public long lastSampleNanos() {
        return lastSampleNanos;
    }

    public int lastSampleProcesses() {
        return lastSampleProcesses;
    }

    /** Where the monitor's lines go (tests read them); the runtime's {@link Log} by default. */
    void logTo(Consumer<String> warnings, Consumer<String> infos) {
        this.warn = warnings;
        this.info = infos;
    }

    /**
     * A purge dropped {@code v}: any process that still runs it (one the purge could not kill within its bound) runs
     * purged code. One pass over the table, on the purging thread, after the purge: nothing blocks.
     */
    @Override
    public void purged(ModuleVersion v) {
        Proc purger = Proc.currentOrNull(); // a process purging its own code unwinds at its next runtime call
        Instant now = Instant.now();
        processes.forEachLive(p -> {
            if (p != purger && p.isAlive() && p.runs(v)) {
                raise(new Key(p, Kind.RUNS_PURGED_CODE, v), p, v, now, "still runs the purged " + v.label()
                        + " (the purge's kill takes effect only at its next runtime call)" + where(p.thread()));
            }
        });
    }

    /** One sample of every process; the sampling thread calls it every interval (tests call it directly). */
    public synchronized void sample() {
        long start = System.nanoTime();
        long gen = ++generation;
        visited = 0;
        processes.forEachLive(p -> visit(p, start, gen));
        for (Iterator<Map.Entry<Proc, Run>> it = running.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Proc, Run> e = it.next();
            Run r = e.getValue();
            if (r.seen != gen) { // waiting, parked or exited since: it has returned to the runtime (or left it)
                it.remove();
                if (r.raised) {
                    clear(new Key(e.getKey(), Kind.LONG_SCHEDULE, null), e.getKey().isAlive() ? "it waits again" : "it exited");
                }
            }
        }
        for (Key key : alerts.keySet()) {
            Proc p = key.proc();
            switch (key.kind()) {
                case LONG_MESSAGE_QUEUE -> {
                    if (!p.isAlive()) {
                        clear(key, "it exited");
                    } else if (p.mailboxLengthNotUnder(queueLimit / 2 + 1) <= queueLimit / 2) {
                        clear(key, p.mailboxLength() + " messages");
                    }
                }
                case RUNS_PURGED_CODE -> {
                    if (!p.isAlive()) {
                        clear(key, "it exited");
                    } else if (!p.runs(key.purged())) {
                        clear(key, "it left " + key.purged().label());
                    }
                }
                case LONG_SCHEDULE -> {
                    // cleared with its Run above
                }
            }
        }
        lastSampleProcesses = visited;
        lastSampleNanos = System.nanoTime() - start;
    }

    // ------------------------------------------------------------------ internals

    private void use(Settings s) {
        settings = s;
        longScheduleNanos = TimeUnit.MILLISECONDS.toNanos(s.longScheduleMillis());
        queueLimit = s.longMessageQueue();
    }

    private boolean active() {
        return settings.intervalMillis() != 0 && (longScheduleNanos != 0 || queueLimit != 0);
    }

    private void run() {
        while (true) {
            long interval;
            synchronized (this) { // under the lock settings(Settings) holds: it sees this thread alive or gone
                if (closed || !active()) {
                    thread = null;
                    return;
                }
                interval = TimeUnit.MILLISECONDS.toNanos(settings.intervalMillis());
            }
            try {
                sample();
            } catch (Throwable e) { // the monitor must outlive whatever one sample met
                Log.error("system monitor: a sample failed: " + e, e);
            }
            // never more than a tenth of a core, however many processes there are
            LockSupport.parkNanos(this, Math.max(interval, 10 * lastSampleNanos));
        }
    }

    private void visit(Proc p, long now, long gen) {
        visited++;
        if (queueLimit > 0 && p.mailboxLength(queueLimit) >= queueLimit) {
            Key key = new Key(p, Kind.LONG_MESSAGE_QUEUE, null);
            if (!alerts.containsKey(key)) {
                // counted again in full for the text, which a receive moving messages meanwhile can make read low: the
                // count above said the limit was reached
                raise(key, p, p.topVersion(), Instant.now(), "has " + Math.max(queueLimit, p.mailboxLength())
                        + " messages in its mailbox (limit " + queueLimit + ")");
            }
        }
        if (longScheduleNanos == 0 || p.state() != Proc.State.RUNNABLE
                || p.thread().getState() != Thread.State.RUNNABLE) {
            return; // waiting in receive, or parked (sleep, a system request, a blocking JDK call), or blocked
        }
        int progress = p.progress();
        Run r = running.get(p);
        if (r == null) {
            running.put(p, new Run(progress, now, gen));
            return;
        }
        r.seen = gen;
        if (r.progress != progress) { // it took a message or made an effect since the last sample
            if (r.raised) {
                clear(new Key(p, Kind.LONG_SCHEDULE, null), "it returned to the runtime");
            }
            r.progress = progress;
            r.since = now;
            r.raised = false;
            return;
        }
        if (!r.raised && now - r.since >= longScheduleNanos) {
            if (!mounted(p.thread())) {
                // ready but waiting for a carrier: it gave its carrier up, so a new stretch begins (the processes
                // starved by a CPU loop are not the loop; counting them would bury it)
                r.since = now;
                return;
            }
            r.raised = true;
            long ran = now - r.since;
            raise(new Key(p, Kind.LONG_SCHEDULE, null), p, p.topVersion(), Instant.now().minusNanos(ran),
                    String.format("has not returned to the runtime (no receive, send or sleep) for %.1f s",
                            ran / 1e9) + where(p.thread()));
        }
    }

    private void raise(Key key, Proc p, ModuleVersion v, Instant since, String detail) {
        SystemAlert alert = new SystemAlert(p, key.kind(), p.registeredName(), v == null ? null : v.module(),
                v == null ? null : v.version(), since, detail);
        if (alerts.putIfAbsent(key, alert) == null) {
            warn.accept(alert.toString());
        }
    }

    private void clear(Key key, String why) {
        SystemAlert a = alerts.remove(key);
        if (a != null) {
            info.accept(a.kind() + " cleared: " + a.pid() + (a.name() == null ? "" : " " + a.name()) + ": " + why);
        }
    }

    /**
     * Whether a virtual thread is on a carrier now. The JDK has no API for it, but a virtual thread's toString names
     * its carrier exactly when it is mounted ({@code VirtualThread[#23]/runnable@ForkJoinPool-1-worker-1}, JDK 21 to
     * 25). A description of another shape counts as mounted: better a report too many than a CPU loop missed.
     * Called only for a process due to be reported (about a microsecond).
     */
    static boolean mounted(Thread t) {
        if (!t.isVirtual()) {
            return true;
        }
        String s = t.toString();
        int state = s.lastIndexOf("]/"); // a thread name may hold '@'; the carrier follows the state
        return state < 0 || s.indexOf('@', state) >= 0;
    }

    /** ", at" the innermost frame outside the JDK: where a loop spins. Called only when raising an alert. */
    private static String where(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        for (StackTraceElement e : stack) {
            String c = e.getClassName();
            if (!c.startsWith("java.") && !c.startsWith("jdk.") && !c.startsWith("sun.")) {
                return ", at " + frame(e);
            }
        }
        return stack.length == 0 ? "" : ", at " + frame(stack[0]);
    }

    /** Class, method, file and line: without the class loader's name, which the version already says. */
    private static String frame(StackTraceElement e) {
        return e.getClassName() + "." + e.getMethodName() + "(" + (e.getFileName() == null ? "unknown source"
                : e.getLineNumber() < 0 ? e.getFileName() : e.getFileName() + ":" + e.getLineNumber()) + ")";
    }
}
