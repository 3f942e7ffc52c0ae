package hotcode.observer;

import hotcode.runtime.spi.Observation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The overview's charts: samples of the runtime's counters, taken when a page asks for the overview (never by a
 * thread of its own), at most one per {@link #MIN_GAP_MILLIS}, the last {@link #KEEP_MILLIS} kept. A sample walks
 * every process, so the gap also grows with what the last one cost: at least {@link #COST_FACTOR} times its CPU
 * time, so that however many processes there are, sampling takes no more than 1 % of one core. Rates are the
 * difference to the previous sample over the time between them; after a gap longer than {@link #MAX_GAP_MILLIS}
 * (nobody looked) a sample only takes a new base, so no rate spans the time nobody looked.
 */
final class History {
    static final long MIN_GAP_MILLIS = 500;
    static final long MAX_GAP_MILLIS = 10_000;
    static final long KEEP_MILLIS = 10 * 60_000;
    static final long COST_FACTOR = 100;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private long lastCostMillis; // guarded by this

    /** One sample: counters at {@code at}, and rates per second since the previous one (null for a base). */
    record Sample(long at, int processes, long spawned, long effects, long deadLetters, Map<String, Long> byReason,
                  long memoryUsed, long memoryMax, Double spawnedPerSec, Double exitedPerSec, Double effectsPerSec,
                  Double deadLettersPerSec, Map<String, Double> deadLettersPerSecByReason) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", at);
            m.put("processes", processes);
            m.put("spawned", spawned);
            m.put("deadLetters", deadLetters);
            m.put("memoryUsed", memoryUsed);
            m.put("memoryMax", memoryMax);
            m.put("spawnedPerSec", spawnedPerSec);
            m.put("exitedPerSec", exitedPerSec);
            m.put("effectsPerSec", effectsPerSec);
            m.put("deadLettersPerSec", deadLettersPerSec);
            m.put("deadLettersPerSecByReason", deadLettersPerSecByReason);
            return m;
        }
    }

    private final ArrayDeque<Sample> samples = new ArrayDeque<>(); // guarded by this

    /** The latest sample: a new one if the last is older than {@link #MIN_GAP_MILLIS}. */
    synchronized Sample sample(Observation obs) {
        long now = System.currentTimeMillis();
        Sample last = samples.peekLast();
        if (last != null && now - last.at() < Math.max(MIN_GAP_MILLIS, COST_FACTOR * lastCostMillis)) {
            return last;
        }
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        Observation.Totals t = obs.totals();
        lastCostMillis = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
        Runtime jvm = Runtime.getRuntime();
        long used = jvm.totalMemory() - jvm.freeMemory();
        Sample s;
        if (last == null || now - last.at() > MAX_GAP_MILLIS) {
            s = new Sample(now, t.processes(), t.spawned(), t.effects(), t.deadLetters(), t.deadLettersByReason(),
                    used, jvm.maxMemory(), null, null, null, null, Map.of());
        } else {
            double secs = (now - last.at()) / 1000.0;
            long spawned = t.spawned() - last.spawned();
            long exited = spawned - (t.processes() - last.processes());
            Map<String, Double> byReason = new LinkedHashMap<>();
            t.deadLettersByReason().forEach((reason, n) -> {
                long before = last.byReason().getOrDefault(reason, 0L);
                if (n > before) {
                    byReason.put(reason, (n - before) / secs);
                }
            });
            s = new Sample(now, t.processes(), t.spawned(), t.effects(), t.deadLetters(), t.deadLettersByReason(),
                    used, jvm.maxMemory(), spawned / secs, Math.max(0, exited) / secs,
                    Math.max(0, t.effects() - last.effects()) / secs, (t.deadLetters() - last.deadLetters()) / secs,
                    byReason);
        }
        samples.addLast(s);
        while (!samples.isEmpty() && now - samples.peekFirst().at() > KEEP_MILLIS) {
            samples.removeFirst();
        }
        return s;
    }

    /** Samples taken after {@code millis} (epoch), oldest first. */
    synchronized List<Sample> since(long millis) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : samples) {
            if (s.at() > millis) {
                out.add(s);
            }
        }
        return out;
    }
}
