package hotcode.bench.runner;

import java.util.Arrays;
import java.util.Locale;

/**
 * The host's core-to-core round trip: two platform threads, each busy on its own core, hand a counter back and forth
 * through two volatile fields; prints the nanoseconds per round trip (median of 3 runs of 1M, after a warm-up).
 * bench/run.sh runs it before each Hotcode fork and each peer, so that a table says in which minutes the host was
 * slow.
 *
 * <p>Why: on this kind of host (a VM with 2 vCPUs) the same program measured 41-63 ns in most minutes and 360-390 ns
 * in others, as the hypervisor moves the two vCPUs apart. Any message exchange between two carriers (Hotcode's
 * ping-pong split over two carriers, the plain-JVM variants on 2 carriers) pays that latency several times per round
 * trip: Hotcode's ping-pong made 0.86-0.90M round trips/s in exactly the minutes this probe read 370-390 ns, and
 * 2.5-4.4M in the others (BENCHMARKS.md, "i16-host"). A runtime cannot change that; a reader of the table must know it.
 */
public final class CoreToCore {
    private static volatile long ping;
    private static volatile long pong;

    private CoreToCore() {
    }

    public static void main(String[] args) throws InterruptedException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
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

    /** Nanoseconds per round trip of {@code n}. */
    static long roundTrip(int n) throws InterruptedException {
        ping = 0;
        pong = 0;
        Thread other = new Thread(() -> {
            for (long i = 1; i <= n; i++) {
                while (ping != i) {
                    Thread.onSpinWait();
                }
                pong = i;
            }
        }, "core-to-core");
        other.start();
        long t0 = System.nanoTime();
        for (long i = 1; i <= n; i++) {
            ping = i;
            while (pong != i) {
                Thread.onSpinWait();
            }
        }
        long t1 = System.nanoTime();
        other.join();
        return (t1 - t0) / n;
    }
}
