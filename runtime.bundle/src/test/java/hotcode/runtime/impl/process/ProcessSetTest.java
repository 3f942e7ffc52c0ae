package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/** The process table's set: every live process found by number, through resizes and concurrent spawns and exits. */
public class ProcessSetTest extends KernelTest {

    @Test
    public void consecutiveNumbersSpreadOverEveryStripe() {
        Set<Integer> stripes = new HashSet<>();
        for (long id = 1; id <= 10 * ProcessSet.STRIPES; id++) {
            stripes.add(ProcessSet.stripeOf(id));
        }
        assertEquals(ProcessSet.STRIPES, stripes.size());
    }

    /**
     * Many spawning threads and processes exiting meanwhile (each stripe resizes several times), and a thread looking
     * processes up throughout (lookups walk the chains without the lock): a live process is always found; afterwards
     * every live process is found by its number, visited once, counted once, and none that exited is left.
     */
    @Test(timeout = 120_000)
    public void concurrentSpawnsAndExitsLeaveExactlyTheLiveProcesses() throws Exception {
        ProcessTable table = k.processes();
        int threads = 4;
        int perThread = 5_000;
        List<List<Pid>> kept = new ArrayList<>();
        List<List<Pid>> ended = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> spawners = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Pid> keep = new ArrayList<>();
            List<Pid> end = new ArrayList<>();
            kept.add(keep);
            ended.add(end);
            spawners.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < perThread; i++) {
                    if (i % 3 == 0) {
                        end.add(Hotcode.spawn(Next::done)); // exits at once, while others are added
                    } else {
                        keep.add(Hotcode.spawn(() -> {
                            Hotcode.receive("stop");
                            return Next.done();
                        }));
                    }
                }
            }));
        }
        // Lookups race with the spawns, exits and resizes: a live process is always found, and found as itself.
        java.util.concurrent.CopyOnWriteArrayList<Proc> probes = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicReference<String> wrong = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean spawning = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong lookups = new java.util.concurrent.atomic.AtomicLong();
        Thread prober = Thread.ofPlatform().start(() -> {
            while (spawning.get() && wrong.get() == null) {
                for (Proc p : probes) {
                    Proc found = table.find(p.id());
                    lookups.incrementAndGet();
                    if (found != p) {
                        wrong.set("find(" + p.id() + ") gave " + found + " while spawning");
                    }
                }
            }
        });
        go.countDown();
        for (int i = 0; i < 1000; i++) { // probes: spawned before the others, alive to the end
            Proc p = (Proc) Hotcode.spawn(() -> {
                Hotcode.receive("stop");
                return Next.done();
            });
            probes.add(p);
        }
        for (Thread t : spawners) {
            t.join();
        }
        spawning.set(false);
        prober.join();
        assertNull(wrong.get());
        assertTrue("the prober ran", lookups.get() > 0);
        kept.add(new ArrayList<>(probes));
        for (List<Pid> end : ended) {
            for (Pid p : end) {
                assertTrue(p + " did not exit", table.awaitExit(p, TimeUnit.SECONDS.toMillis(30)));
            }
        }
        Set<Proc> live = new HashSet<>();
        for (List<Pid> keep : kept) {
            for (Pid p : keep) {
                Proc proc = (Proc) p;
                assertSame("found by its number", proc, table.find(proc.id()));
                live.add(proc);
            }
        }
        for (List<Pid> end : ended) {
            for (Pid p : end) {
                assertNull("an exited process is gone", table.find(((Proc) p).id()));
            }
        }
        List<Proc> visited = new ArrayList<>();
        table.forEachLive(p -> {
            if (!p.isInternal()) {
                visited.add(p);
            }
        });
        assertEquals("each live process visited once", live.size(), visited.size());
        assertEquals(live, new HashSet<>(visited));
        assertEquals(live.size(), table.pids().size());
        assertFalse(table.count() < live.size());

        for (Proc p : live) {
            Hotcode.send(p, "stop");
        }
        for (Proc p : live) {
            assertTrue(p.awaitExit(TimeUnit.SECONDS.toMillis(30)));
            assertNull(table.find(p.id()));
        }
        List<Proc> left = new ArrayList<>();
        table.forEachLive(p -> {
            if (!p.isInternal()) {
                left.add(p);
            }
        });
        assertEquals(List.of(), left);
    }
}
