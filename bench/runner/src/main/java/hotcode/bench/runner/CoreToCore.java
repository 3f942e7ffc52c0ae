package hotcode.bench.runner;

import java.util.Arrays;
import java.util.Locale;

/**
 * The host's core-to-core round trip: two platform threads, each busy on its own core, hand a counter back and forth
 * through two volatile fields; prints the nanoseconds per round trip (median of 3 runs of 1M, after a warm-up).
 * bench/run.sh runs it before each Hotcode fork and each peer, so that a table says in which minutes the host was
 * slow.
 *
 * <p>Why: on this kind of host (a VM with 2 vCPUs) the same program measured 41-79 ns in most minutes and 335-520 ns
 * in others (800-7,800 ns when the host is overloaded), as the hypervisor moves the two vCPUs apart. Any message
 * exchange between two carriers (Hotcode's ping-pong split over two carriers, the plain-JVM variants on 2 carriers)
 * pays that latency several times per round trip: Hotcode's ping-pong made 0.82-0.95M round trips/s in exactly the
 * minutes this probe read 335-440 ns, and 2.5-4.2M in the others (BENCHMARKS.md, "i16-host"). A runtime cannot change
 * that; a reader of the table must know it.
 *
 * <p>Each run stops after {@link #LIMIT_NANOS} whatever its count (two threads that share one CPU hand off once per
 * time slice, and the bench must not wait hours for them); the figure is then over the round trips it made.
 */
public final class CoreToCore {
    static final long LIMIT_NANOS = 5_000_000_000L;
    private static volatile long ping;
    private static volatile long pong;

    private CoreToCore() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = Math.max(1_000, args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000);
        String label = args.length > 1 ? args[1] : "";
        roundTrip(n / 5); // warm-up: compiled loops, both threads on their cores
        long[] ns = new long[3];
        for (int i = 0; i < ns.length; i++) {
            ns[i] = roundTrip(n);
        }
        long[] sorted = ns.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "core-to-core round trip %d ns (runs %s) %s%n", sorted[1],
                Arrays.toString(ns).replaceAll("[\\[\\]]", ""), label);
    }

    /** Nanoseconds per round trip of {@code n}, or of as many as {@link #LIMIT_NANOS} allowed. */
    static long roundTrip(int n) throws InterruptedException {
        ping = 0;
        pong = 0;
        Thread other = new Thread(() -> {
            for (long i = 1; ; i++) {
                long want = i;
                while (ping != want) {
                    if (ping < 0) {
                        return; // the other side stopped early
                    }
                    Thread.onSpinWait();
                }
                pong = want;
                if (want == n) {
                    return;
                }
            }
        }, "core-to-core");
        other.setDaemon(true);
        other.start();
        long t0 = System.nanoTime();
        long done = n;
        for (long i = 1; i <= n; i++) {
            ping = i;
            while (pong != i) {
                Thread.onSpinWait();
            }
            if ((i & 1023) == 0 && System.nanoTime() - t0 > LIMIT_NANOS) {
                done = i;
                ping = -1;
                break;
            }
        }
        long t1 = System.nanoTime();
        other.join(1_000);
        return (t1 - t0) / done;
    }
}
