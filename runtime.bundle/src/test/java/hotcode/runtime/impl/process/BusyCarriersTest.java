package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.testsupport.KernelTest;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static hotcode.runtime.api.Hotcode.ANY;
import static org.junit.Assert.assertTrue;

/**
 * The fairness tests' frame: echo servers, 32 clients per carrier calling them back to back for 3 s, and the rule that
 * no call takes 150 ms. A round over the bound is run once more, and only a second one over it fails, since a shared
 * host can stall a process once (an unfair wake-up does it every round). Each test says what its calls do.
 */
abstract class BusyCarriersTest extends KernelTest {
    static final int CLIENTS = 32 * Runtime.getRuntime().availableProcessors();
    private static final long RUN_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long BOUND_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    /** One call of a client: sends {@code {self, token}} to {@code server} and waits for {@code token} back. */
    interface Call {
        /** False when no answer came within 30 s. */
        boolean make(Proc self, Pid server, Long token);
    }

    /** The plain call: a send and a receive. */
    static boolean sendAndReceive(Proc self, Pid server, Long token) {
        Hotcode.send(server, Tuple.of(self, token));
        return Hotcode.receive(Duration.ofSeconds(30), token) != null;
    }

    /** {@code n} processes that answer every {@code {From, Token}} with {@code Token}. */
    static Pid[] echoServers(int n) {
        Pid[] servers = new Pid[n];
        for (int i = 0; i < n; i++) {
            servers[i] = Hotcode.spawn(() -> {
                for (;;) {
                    Tuple call = (Tuple) Hotcode.receive(ANY);
                    Hotcode.send((Pid) call.get(0), call.get(1));
                }
            });
        }
        return servers;
    }

    /** What else runs during a round, until {@code end} (System.nanoTime()); nothing by default. */
    void alsoDuringRound(Pid[] servers, long end) {
    }

    /** Fails if two rounds in a row had a call of the bound or more (a second round only after a long first one). */
    void assertNoCallWaitsLong(Pid[] servers, Call call) throws InterruptedException {
        String first = round(servers, call);
        if (first != null) {
            String second = round(servers, call);
            assertTrue("two rounds in a row had a call of " + TimeUnit.NANOSECONDS.toMillis(BOUND_NANOS)
                    + " ms or more: " + first + "; then " + second, second == null);
        }
    }

    /** One round of calls; null if no call took the bound, else what was seen. Fails at once on a lost call. */
    private String round(Pid[] servers, Call call) throws InterruptedException {
        AtomicLong longest = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        AtomicLong unanswered = new AtomicLong();
        Pid[] clients = new Pid[CLIENTS];
        long end = System.nanoTime() + RUN_NANOS;
        for (int c = 0; c < CLIENTS; c++) {
            clients[c] = Hotcode.spawn(() -> {
                Proc self = Proc.current("test");
                long n = 0;
                while (System.nanoTime() - end < 0) {
                    Long token = n++;
                    Pid server = servers[ThreadLocalRandom.current().nextInt(servers.length)];
                    long start = System.nanoTime();
                    if (!call.make(self, server, token)) {
                        unanswered.incrementAndGet();
                    }
                    longest.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
                calls.addAndGet(n);
                return Next.done();
            });
        }
        alsoDuringRound(servers, end);
        for (Pid c : clients) {
            assertTrue("client " + c + " still calling 60 s after the run's end",
                    k.processes().lookup(c).awaitExit(60_000));
        }
        long worst = longest.get();
        String seen = calls.get() + " calls, the longest " + TimeUnit.NANOSECONDS.toMillis(worst) + " ms, "
                + unanswered.get() + " unanswered";
        assertTrue(seen, calls.get() > CLIENTS);
        assertTrue(seen, unanswered.get() == 0);
        return worst < BOUND_NANOS ? null : seen;
    }
}
