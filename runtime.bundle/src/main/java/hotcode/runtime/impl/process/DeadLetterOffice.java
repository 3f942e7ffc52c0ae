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
 * {@value #LOG_PER_SECOND} lines a second, then a count of the rest, so a purge of a busy module cannot flood the
 * console). Nothing undeliverable is dropped without passing through here.
 */
public final class DeadLetterOffice {
    static final int LOG_PER_SECOND = 10;
    private static final int WINDOW = 1024;

    private final LongAdder total = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();
    private final DeadLetter[] window = new DeadLetter[WINDOW];
    private final AtomicLong written = new AtomicLong();
    private final Object logLock = new Object();
    private long logSecond;
    private int loggedThisSecond;
    private long suppressed;

    private final java.util.List<java.util.function.Consumer<DeadLetter>> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Calls {@code subscriber} with every dead letter from now on, on the thread that found it undeliverable. */
    public AutoCloseable subscribe(java.util.function.Consumer<DeadLetter> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    public void record(Pid to, Object message, Object reason) {
        total.increment();
        byReason.computeIfAbsent(reasonKey(reason), k -> new LongAdder()).increment();
        DeadLetter letter = new DeadLetter(to, message, reason, Instant.now());
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

    private void log(DeadLetter letter) {
        String line = null;
        synchronized (logLock) {
            long second = System.currentTimeMillis() / 1000;
            if (second != logSecond) {
                if (suppressed > 0) {
                    Log.warn("dead letters: " + suppressed + " more not shown (see hotcode:deadletters)");
                }
                logSecond = second;
                loggedThisSecond = 0;
                suppressed = 0;
            }
            if (loggedThisSecond < LOG_PER_SECOND) {
                loggedThisSecond++;
                line = "dead letter to " + letter.to() + " (" + reasonKey(letter.reason()) + "): "
                        + abbreviate(Terms.format(letter.message()));
            } else {
                suppressed++;
            }
        }
        if (line != null) {
            Log.warn(line);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
