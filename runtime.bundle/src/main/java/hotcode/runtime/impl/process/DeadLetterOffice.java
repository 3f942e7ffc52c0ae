package hotcode.runtime.impl.process;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.log.Log;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Messages that could not be delivered: counted by reason, the latest kept in a bounded window, and logged (at most
 * {@value #LOG_PER_SECOND} lines a second, then a count of the rest at the end of that second, so a purge of a busy
 * module cannot flood the console). Nothing undeliverable is dropped without passing through here. While the runtime
 * stops ({@link #stopping}), dead letters are counted but not logged one by one: one line says how many there were.
 */
public final class DeadLetterOffice {
    static final int LOG_PER_SECOND = 10;
    private static final int WINDOW = 1024;

    private final LongAdder total = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();
    private final DeadLetter[] window = new DeadLetter[WINDOW];
    private final AtomicLong written = new AtomicLong();
    private final Object logLock = new Object();
    // guarded by logLock
    private long logSecond;
    private int loggedThisSecond;
    private long suppressed;
    private boolean stopping;
    private long undeliveredAtStop;
    private volatile java.util.function.LongConsumer bursts;

    private final java.util.List<java.util.function.Consumer<DeadLetter>> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Calls {@code subscriber} with every dead letter from now on, on the thread that found it undeliverable. */
    public AutoCloseable subscribe(java.util.function.Consumer<DeadLetter> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /**
     * Calls {@code l} with the count of each burst: the dead letters of one second beyond the
     * {@value #LOG_PER_SECOND} logged, when their "more not shown" line is logged (the OSGi boundary posts it as an
     * event). One listener; null for none.
     */
    public void onBurst(java.util.function.LongConsumer l) {
        bursts = l;
    }

    /** Records a dead letter whose sender is unknown (left in a mailbox at exit, or sent from outside a process). */
    public void record(Pid to, Object message, Object reason) {
        record(to, message, reason, null);
    }

    /**
     * Records a dead letter sent by {@code from} (null: unknown). Callers pass the sender only on a send's failure
     * path, where it costs one thread-local read ({@link Proc#currentOrNull()}); a successful send never looks it up.
     */
    public void record(Pid to, Object message, Object reason, Pid from) {
        total.increment();
        byReason.computeIfAbsent(reasonKey(reason), k -> new LongAdder()).increment();
        DeadLetter letter = new DeadLetter(to, message, reason, Instant.now(), from);
        long slot = written.getAndIncrement();
        synchronized (window) {
            window[(int) (slot % WINDOW)] = letter;
        }
        for (java.util.function.Consumer<DeadLetter> s : subscribers) {
            try {
                s.accept(letter);
            } catch (Throwable e) { // a subscriber must not break the exit or send that found the dead letter
                Log.error("a dead-letter subscriber failed on " + letter + ": " + e, e);
            }
        }
        log(letter);
    }

    public long count() {
        return total.sum();
    }

    /** Counts by reason ({@code noproc}, {@code killed}, ...), sorted by reason. */
    public Map<String, Long> countsByReason() {
        Map<String, Long> out = new TreeMap<>();
        byReason.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The latest dead letters, oldest first. */
    public List<DeadLetter> recent() {
        List<DeadLetter> out = new ArrayList<>();
        synchronized (window) {
            long end = written.get();
            for (long i = Math.max(0, end - WINDOW); i < end; i++) {
                DeadLetter d = window[(int) (i % WINDOW)];
                if (d != null) {
                    out.add(d);
                }
            }
        }
        out.sort((a, b) -> a.at().compareTo(b.at()));
        return out;
    }

    static String reasonKey(Object reason) {
        if (reason instanceof Atom a) {
            return a.name();
        }
        if (reason instanceof Throwable t) {
            return t.getClass().getName();
        }
        return Terms.format(reason);
    }

    /**
     * The runtime is stopping: from now on dead letters are counted and kept as before, but not logged one by one.
     * Ending every process leaves many messages undeliverable: the runtime's own (a supervisor's or a trapping linked
     * process's {@code EXIT}, a monitor's {@code DOWN}, sent to a process that is ending too) and what processes still
     * had queued. None of them is news when everything stops, and a warning each would bury the console at every
     * shutdown; so they all go into one count, which {@link #stopped} logs. A count of lines not shown is logged now.
     */
    public void stopping() {
        flushSuppressed();
        synchronized (logLock) {
            stopping = true;
        }
    }

    /**
     * Logs, in one line, how many messages were undelivered since {@link #stopping} (nothing if none). Dead letters
     * stay unlogged after it: processes that exit later are still part of the shutdown.
     */
    public void stopped() {
        long n;
        synchronized (logLock) {
            n = undeliveredAtStop;
            undeliveredAtStop = 0;
        }
        if (n > 0) {
            Log.info(n + (n == 1 ? " message was" : " messages were") + " undelivered at shutdown (dead letters,"
                    + " counted but not logged one by one)");
        }
    }

    private void log(DeadLetter letter) {
        long notShown = 0;
        String line = null;
        long wait = -1;
        synchronized (logLock) {
            if (stopping) {
                undeliveredAtStop++;
                return;
            }
            long now = System.currentTimeMillis();
            long second = now / 1000;
            if (second != logSecond) {
                notShown = takeSuppressed();
                logSecond = second;
                loggedThisSecond = 0;
            }
            if (loggedThisSecond < LOG_PER_SECOND) {
                loggedThisSecond++;
                line = "dead letter to " + letter.to() + (letter.from() == null ? "" : " from " + letter.from()) + " (" + reasonKey(letter.reason()) + "): "
                        + abbreviate(Terms.format(letter.message()));
            } else if (suppressed++ == 0) {
                wait = 1000 - now % 1000; // the end of this second
            }
        }
        reportSuppressed(notShown);
        if (line != null) {
            Log.warn(line);
        }
        if (wait >= 0) {
            flushAfter(wait);
        }
    }

    /**
     * The count of lines not shown must come even if no dead letter follows to roll the second over: a virtual thread
     * sleeps to the end of the second and logs it (at most one per busy second; a dead letter of a later second that
     * gets there first logs the count itself). It inherits what its starter inherits, so in the console the count goes
     * to the session that saw the lines it counts. Short-lived on purpose: a lasting thread started here would keep the
     * context class loader of the thread that started it, often a module version's, from being collected after a purge.
     */
    private void flushAfter(long millis) {
        Thread.ofVirtual().name("hotcode-dead-letter-count").start(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                // nobody interrupts it; log the count now
            }
            flushSuppressed();
        });
    }

    /** Logs the count of dead letters not shown, if there is one. */
    void flushSuppressed() {
        long notShown;
        synchronized (logLock) {
            notShown = takeSuppressed();
        }
        reportSuppressed(notShown);
    }

    /** The count of dead letters not shown since the last count, which starts again at 0. */
    private long takeSuppressed() {
        long n = suppressed;
        suppressed = 0;
        return n;
    }

    private void reportSuppressed(long notShown) {
        if (notShown == 0) {
            return;
        }
        Log.warn("dead letters: " + notShown + " more not shown (see hotcode:deadletters)");
        java.util.function.LongConsumer l = bursts;
        if (l != null) {
            l.accept(notShown);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
