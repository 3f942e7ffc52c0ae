package hotcode.itest.examples;

import static hotcode.itest.examples.KvExample.AUDIT;
import static hotcode.itest.examples.KvExample.MODULE;
import static hotcode.itest.examples.KvExample.NONE;
import static hotcode.itest.examples.KvExample.OK;
import static hotcode.itest.examples.KvExample.PUT;
import static hotcode.itest.examples.KvExample.REPORT;
import static hotcode.itest.examples.KvExample.SERVER;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import hotcode.itest.HotcodeOptions;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.testing.Await;
import hotcode.testing.DeadLetters;
import hotcode.testing.Inbox;
import hotcode.testing.Modules;

/**
 * The kv example upgraded 1.0.0 → 2.0.0 under a steady stream of calls. Several clients (processes, and plain threads
 * outside every process) each write their own key with a sequence number, one {@code {put, Key, Seq}} call after the
 * other, while the bundle is updated. The server is suspended at a safe point, its state migrated by 2.0.0's
 * codeChange (each value becomes an entry of version 1), and resumed on 2.0.0; calls that arrive meanwhile wait.
 *
 * <p>Checked: every call is answered (none fails); each answer names the value the same client wrote just before,
 * so no write was lost, duplicated or reordered; each client's answers switch once from 1.0.0's shape
 * {@code {ok, Prev}} to 2.0.0's {@code {ok, Prev, EntryVersion}} and never back, with entry versions 2, 3, 4... (the
 * migrated entry is version 1); the final state is exactly the v1 state in v2's shape plus the v2 writes; the server
 * is the same process; the audit worker (which re-enters through qualified calls) counted every write. Latencies are
 * printed, not asserted.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KvUpgradeUnderLoadIT {
    private static final int PROCESS_CLIENTS = 6;
    private static final int THREAD_CLIENTS = 2;
    /** Calls each client makes before the update starts, and at least after it ends. */
    private static final int CALLS_BEFORE = 300;
    private static final int CALLS_AFTER = 300;

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    /** One call as a client saw it. */
    private record Call(int seq, Object reply, long startNanos, long endNanos) {
    }

    /** A client's calls, in order, and how it ended (null: it was told to stop; else the failure). */
    private record Log(String key, List<Call> calls, Throwable failure) {
    }

    /** What the test and a client share. */
    private static final class Client {
        final String key;
        final AtomicInteger done = new AtomicInteger();
        final List<Call> calls = new ArrayList<>();
        final CompletableFuture<Log> result = new CompletableFuture<>();

        Client(String key) {
            this.key = key;
        }

        /** One call; false when the client is to stop. Runs on the client's own thread only. */
        boolean step(AtomicBoolean stop) {
            if (stop.get()) {
                result.complete(new Log(key, calls, null));
                return false;
            }
            int seq = calls.size() + 1;
            long t0 = System.nanoTime();
            Object reply;
            try {
                reply = GenServer.call(SERVER, tuple(PUT, key, String.valueOf(seq)));
            } catch (RuntimeException e) {
                result.complete(new Log(key, calls, e));
                return false;
            }
            calls.add(new Call(seq, reply, t0, System.nanoTime()));
            done.incrementAndGet();
            return true;
        }
    }

    @Test
    public void upgradeUnderSteadyCalls() throws Exception {
        Bundle kv = KvExample.installV1();
        KvExample.startSupervisor();
        Pid server = KvExample.whereis(SERVER);
        Pid audit = KvExample.whereis(AUDIT);
        DeadLetters deadLetters = DeadLetters.mark();

        // keys no client touches: after the upgrade they must read exactly as 1.0.0 left them, in 2.0.0's shape
        Map<String, String> fixed = new TreeMap<>(Map.of("apple", "red", "pear", "green", "plum", "blue"));
        fixed.forEach(KvExample::put);
        assertEquals(KvExample.v1State(fixed), KvExample.state());

        AtomicBoolean stop = new AtomicBoolean();
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < PROCESS_CLIENTS; i++) {
            Client c = new Client("process-" + i);
            clients.add(c);
            Hotcode.spawn(() -> loop(c, stop)); // a probe lambda: runs no module code, no purge touches it
        }
        for (int i = 0; i < THREAD_CLIENTS; i++) {
            Client c = new Client("thread-" + i);
            clients.add(c);
            Thread t = new Thread(() -> {
                while (c.step(stop)) {
                    // GenServer.call from outside every process
                }
            }, "kv-client-" + i);
            t.setDaemon(true);
            t.start();
        }

        Await.until(CALLS_BEFORE + " calls by every client before the update",
                () -> clients.stream().allMatch(c -> c.done.get() >= CALLS_BEFORE || c.result.isDone()));
        long u0 = System.nanoTime();
        KvExample.update(kv, KvExample.V2);
        long u1 = System.nanoTime();
        assertEquals("2.0.0", Modules.currentVersion(MODULE));
        int[] atUpdateEnd = clients.stream().mapToInt(c -> c.done.get()).toArray();
        Await.until(CALLS_AFTER + " calls by every client after the update", () -> {
            for (int i = 0; i < clients.size(); i++) {
                Client c = clients.get(i);
                if (c.done.get() < atUpdateEnd[i] + CALLS_AFTER && !c.result.isDone()) {
                    return false;
                }
            }
            return true;
        });
        stop.set(true);
        List<Log> logs = new ArrayList<>();
        for (Client c : clients) {
            logs.add(c.result.get(Await.timeoutSeconds(), TimeUnit.SECONDS));
        }

        // every call answered; each client's writes form an unbroken chain; versions switch once
        Map<String, Map<String, Object>> expected = new LinkedHashMap<>(KvExample.migrated(fixed));
        long v2Writes = 0;
        long totalCalls = 0;
        for (Log log : logs) {
            assertEquals(log.key() + " failed after " + log.calls().size() + " calls: " + log.failure(), null, log.failure());
            int v1 = 0;
            int v2 = 0;
            int entryVersion = 1;
            for (Call c : log.calls()) {
                Tuple t = (Tuple) c.reply();
                String what = log.key() + " call " + c.seq() + " answered " + t;
                assertEquals(what, OK, t.get(0));
                assertEquals(what + ": the previous value is this client's previous write (nothing lost, duplicated "
                        + "or reordered)", c.seq() == 1 ? NONE : String.valueOf(c.seq() - 1), t.get(1));
                if (t.size() == 2) {
                    assertEquals(what + ": a 1.0.0 answer after a 2.0.0 one", 0, v2);
                    v1++;
                } else {
                    assertEquals(what, 3, t.size());
                    entryVersion++;
                    assertEquals(what + ": entry versions count on from the migrated entry (version 1)",
                            entryVersion, t.get(2));
                    v2++;
                }
            }
            assertTrue(log.key() + " had answers from 1.0.0 (" + v1 + ") and 2.0.0 (" + v2 + ")", v1 > 0 && v2 > 0);
            int last = log.calls().size();
            expected.put(log.key(), KvExample.entry(String.valueOf(last), 1 + v2));
            v2Writes += v2;
            totalCalls += last;
        }
        assertEquals("the state: 1.0.0's migrated to 2.0.0's shape, plus 2.0.0's writes",
                KvExample.v2State(expected, v2Writes), KvExample.state());
        assertEquals("the server was migrated, not restarted", server, Hotcode.whereis(SERVER));
        assertEquals("2.0.0", KvExample.call(KvExample.VSN));
        assertFalse(Modules.code().checkProcessCode(server, MODULE));

        Inbox inbox = Inbox.open();
        Hotcode.send(audit, tuple(REPORT, inbox.pid()));
        assertEquals("the audit worker moved to 2.0.0 by its own qualified calls and counted every write",
                tuple(REPORT, "2.0.0", audit, totalCalls + fixed.size()), inbox.next());
        deadLetters.assertNone();

        printLatencies(logs, u0, u1, totalCalls);
    }

    private static Next loop(Client c, AtomicBoolean stop) {
        return c.step(stop) ? () -> loop(c, stop) : Next.done();
    }

    private static void printLatencies(List<Log> logs, long u0, long u1, long totalCalls) {
        long maxBefore = 0;
        long maxDuring = 0;
        long maxAfter = 0;
        int during = 0;
        for (Log log : logs) {
            for (Call c : log.calls()) {
                long lat = c.endNanos() - c.startNanos();
                if (c.endNanos() < u0) {
                    maxBefore = Math.max(maxBefore, lat);
                } else if (c.startNanos() > u1) {
                    maxAfter = Math.max(maxAfter, lat);
                } else {
                    maxDuring = Math.max(maxDuring, lat);
                    during++;
                }
            }
        }
        System.out.printf("[KvUpgradeUnderLoadIT] %d clients (%d processes, %d threads), %d calls; update() took %.1f ms; "
                        + "max call latency: before the update %.2f ms, overlapping it %.2f ms (%d calls), after it %.2f ms%n",
                logs.size(), PROCESS_CLIENTS, THREAD_CLIENTS, totalCalls, (u1 - u0) / 1e6, maxBefore / 1e6, maxDuring / 1e6,
                during, maxAfter / 1e6);
    }
}
