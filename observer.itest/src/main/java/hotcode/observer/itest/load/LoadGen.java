package hotcode.observer.itest.load;

import hotcode.runtime.api.Module;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;

import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;

/**
 * A load for the observer's browser tests: {@code loadgen:spawn(N)} spawns N idle processes and fills mailboxes
 * (every tenth process gets {@code i % 100} messages, the one in the middle {@link #DEEPEST} of them), so the
 * processes page has many rows to sort and a known largest mailbox. Returns the pid with the largest mailbox.
 */
@Module(name = "loadgen", commands = {"spawn", "pingpong", "deadletter"})
public final class LoadGen {
    /** The largest mailbox: the first row once the table is sorted by mailbox, largest first. */
    public static final int DEEPEST = 5000;

    private LoadGen() {
    }

    public static Pid spawn(int n) {
        Pid deepest = null;
        for (int i = 1; i <= n; i++) {
            Pid p = hotcode.runtime.api.Hotcode.spawn("loadgen", "idle");
            int messages = i == n / 2 ? DEEPEST : i % 10 == 0 ? i % 100 : 0;
            for (int m = 0; m < messages; m++) {
                send(p, m);
            }
            if (i == n / 2) {
                deepest = p;
            }
        }
        return deepest;
    }

    private static final java.util.concurrent.atomic.LongAdder ROUND_TRIPS = new java.util.concurrent.atomic.LongAdder();
    private static volatile boolean running;

    /**
     * {@code loadgen:pingpong(pairs, millis)}: the cost bench's workload. {@code pairs} pairs of processes send a message
     * back and forth as fast as they can for {@code millis}; answers {@code loadgen-rate <messages a second>}.
     */
    public static String pingpong(int pairs, long millis) throws InterruptedException {
        ROUND_TRIPS.reset();
        running = true;
        for (int i = 0; i < pairs; i++) {
            Pid ponger = hotcode.runtime.api.Hotcode.spawn("loadgen", "ponger");
            hotcode.runtime.api.Hotcode.spawn("loadgen", "pinger", ponger);
        }
        long t0 = System.nanoTime();
        Thread.sleep(millis);
        long n = ROUND_TRIPS.sum();
        double secs = (System.nanoTime() - t0) / 1e9;
        running = false;
        return "loadgen-rate " + Math.round(2 * n / secs);
    }

    public static Next pinger(Pid ponger) {
        Pid me = hotcode.runtime.api.Hotcode.self();
        while (running) {
            send(ponger, me);
            hotcode.runtime.api.Hotcode.receive();
            ROUND_TRIPS.increment();
        }
        send(ponger, "stop");
        return Next.done();
    }

    public static Next ponger() {
        for (;;) {
            Object m = hotcode.runtime.api.Hotcode.receive();
            if (!(m instanceof Pid from)) {
                return Next.done();
            }
            send(from, "pong");
        }
    }

    /**
     * {@code loadgen:deadletter()}: a dead letter with a known sender. A process waits for another to exit, then sends
     * it {@code dead_letter_probe}; answers {@code prober <its pid>}.
     */
    public static String deadletter() {
        return "prober " + hotcode.runtime.api.Hotcode.spawn("loadgen", "prober");
    }

    public static Next prober() {
        Pid quitter = hotcode.runtime.api.Hotcode.spawn("loadgen", "quit");
        hotcode.runtime.api.Hotcode.monitor(quitter);
        hotcode.runtime.api.Hotcode.receive(); // its DOWN: it has exited
        send(quitter, hotcode.runtime.api.Hotcode.atom("dead_letter_probe"));
        return Next.done();
    }

    public static Next quit() {
        return Next.done();
    }

    /** A process that leaves its mailbox alone: it sleeps until it is killed. */
    public static Next idle() {
        sleep(Long.MAX_VALUE / 4_000_000L);
        return Next.done();
    }
}
