package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.api.SystemAlert.Kind;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.shell.HotcodeCommands;
import hotcode.runtime.impl.shell.Table;
import hotcode.runtime.testmod.Busy;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeFalse;

/**
 * The system monitor with small limits (100 ms, 1,000 messages), sampled by the test itself: each test waits, with a
 * timeout, for the alert it expects, and its looping processes stop once the test has its answer.
 */
public class SystemMonitorTest extends KernelTest {
    private static final long LIMIT_MS = 100;
    private static final int QUEUE = 1000;

    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<String> infos = new CopyOnWriteArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    @Override
    @Before
    public void startKernel() {
        k = new Kernel(300, 300, new SystemMonitor.Settings(10, LIMIT_MS, QUEUE));
        Kernel.install(k);
        k.monitor().logTo(warnings::add, infos::add);
        Modules.load(k, "busy", Busy.class, "1.0.0");
    }

    @After
    public void stopLoops() throws InterruptedException {
        stop.set(true); // before the kernel's teardown: a loop cannot be killed
        k.monitor().close();
    }

    @Test(timeout = 60_000)
    public void aCpuLoopIsReportedOnceWithItsVersionAndWhereItSpinsAndClearsWhenItReturns() throws Exception {
        Pid sleeper = Hotcode.spawn(() -> {
            Hotcode.sleep(60_000);
            return Next.done();
        });
        Pid waiter = Hotcode.spawn(() -> {
            Hotcode.receive("never");
            return Next.done();
        });
        Pid spinner = Hotcode.spawn("busy", "spin", stop, out);
        assertEquals("spinning", next());

        SystemAlert a = awaitAlert(spinner, Kind.LONG_SCHEDULE);
        assertEquals("busy", a.module());
        assertEquals("1.0.0", a.version());
        assertTrue(a.detail(), a.detail().contains("has not returned to the runtime"));
        assertTrue("names where it spins: " + a.detail(), a.detail().contains(", at hotcode.runtime.testmod.Busy.spin(Busy.java:"));
        assertEquals(List.of(a), Hotcode.systemAlerts());
        sampleFor(3 * LIMIT_MS); // long past the limit again: still one line
        assertEquals(List.of("long_schedule: " + spinner + " (busy 1.0.0) " + a.detail()), lines(warnings, spinner));
        assertEquals("the sleeper and the waiter, alive as long, are not reported", List.of(a), Hotcode.systemAlerts());
        assertFalse(Hotcode.systemAlerts().stream().anyMatch(x -> x.pid() == sleeper || x.pid() == waiter));

        stop.set(true);
        assertEquals("stopped", next());
        awaitCleared(spinner, Kind.LONG_SCHEDULE);
        assertEquals(1, lines(infos, spinner).size());
        assertTrue(infos.toString(), lines(infos, spinner).get(0).startsWith("long_schedule cleared: " + spinner));
    }

    /**
     * One loop per carrier stops every other process (Java cannot preempt them); the monitor, a platform thread,
     * still reports the loops, and not the process they starve, which is ready but never got a carrier.
     */
    @Test(timeout = 60_000)
    public void loopsOnEveryCarrierAreReportedAndTheProcessTheyStarveIsNot() throws Exception {
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                Runtime.getRuntime().availableProcessors());
        List<Pid> spinners = new ArrayList<>();
        for (int i = 0; i <= carriers; i++) {
            spinners.add(Hotcode.spawn("busy", "spin", stop, out));
        }
        for (int i = 0; i < carriers; i++) {
            assertEquals("spinning", next());
        }
        // which ones run is the scheduler's choice: wait for as many reports as there are carriers
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        Set<Pid> reported;
        do {
            k.monitor().sample();
            reported = pidsWith(Kind.LONG_SCHEDULE);
            assertTrue("only " + reported + " reported within " + WAIT + " s", System.nanoTime() < deadline);
            Thread.sleep(5);
        } while (reported.size() < carriers);
        sampleFor(3 * LIMIT_MS); // the starved one has waited as long: it would be due by now
        reported = pidsWith(Kind.LONG_SCHEDULE);
        assumeFalse("every spinner found a carrier (the scheduler has more carriers than cores)",
                out.contains("spinning"));
        assertEquals("the loops holding the carriers, not the process waiting for one", carriers, reported.size());
        assertTrue(spinners.containsAll(reported));
        stop.set(true);
        for (int i = 0; i < carriers + 2; i++) {
            next(); // each loop says "stopped"; the starved one, which runs at last, "spinning" and "stopped"
        }
    }

    @Test(timeout = 60_000)
    public void aLongMailboxIsReportedOnceShownByPsAndClearsWhenDrained() throws Exception {
        Pid hoarder = Hotcode.spawn("busy", "hoard", out);
        assertEquals("hoarding", next()); // running busy's code: the alert names its version
        for (int i = 0; i <= QUEUE; i++) {
            Hotcode.send(hoarder, i);
        }
        SystemAlert a = awaitAlert(hoarder, Kind.LONG_MESSAGE_QUEUE);
        assertEquals("busy", a.module());
        assertEquals("1.0.0", a.version());
        // the count is a sample taken from another thread while the hoarder's selective receive may still be moving
        // messages to its save queue, which can make it read low; the text never says less than the limit
        assertTrue(a.detail(), a.detail().matches("has 100[01] messages in its mailbox \\(limit 1000\\)"));
        sampleFor(LIMIT_MS);
        assertEquals(List.of("long_message_queue: " + hoarder + " (busy 1.0.0) " + a.detail()), lines(warnings, hoarder));

        HotcodeCommands commands =
                new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());
        Table ps = commands.ps(true);
        int alert = ps.columns().indexOf("ALERT");
        assertTrue(ps.columns().toString(), alert >= 0);
        assertEquals("long_message_queue", row(ps, hoarder).get(alert));
        Table alerts = commands.alerts();
        assertEquals(1, alerts.rows().size());
        assertTrue(alerts.toString(), alerts.toString().contains("long_message_queue  " + hoarder));

        Hotcode.send(hoarder, "drain");
        assertEquals(QUEUE + 1, next());
        awaitCleared(hoarder, Kind.LONG_MESSAGE_QUEUE);
        assertEquals(List.of("long_message_queue cleared: " + hoarder + ": 0 messages"), lines(infos, hoarder));
        assertEquals("", row(commands.ps(true), hoarder).get(alert));
    }

    @Test(timeout = 60_000)
    public void theSamplingThreadReportsOnItsOwnAndStopsOnClose() throws Exception {
        Pid hoarder = Hotcode.spawn("busy", "hoard", out);
        assertEquals("hoarding", next()); // running busy's code: the alert names its version
        for (int i = 0; i <= QUEUE; i++) {
            Hotcode.send(hoarder, i);
        }
        k.monitor().start();
        assertTrue(k.monitor().sampling());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (find(hoarder, Kind.LONG_MESSAGE_QUEUE).isEmpty()) {
            assertTrue("the sampling thread did not report " + hoarder + " within " + WAIT + " s",
                    System.nanoTime() < deadline);
            Thread.sleep(5);
        }
        k.monitor().close();
        assertFalse("the sampling thread has ended", k.monitor().sampling());
    }

    @Test(timeout = 60_000)
    public void newSettingsTakeEffectAtTheNextSample() throws Exception {
        Pid hoarder = Hotcode.spawn("busy", "hoard", out);
        assertEquals("hoarding", next());
        for (int i = 0; i < QUEUE / 2; i++) {
            Hotcode.send(hoarder, i);
        }
        sampleFor(LIMIT_MS);
        assertEquals(Optional.empty(), find(hoarder, Kind.LONG_MESSAGE_QUEUE));
        k.monitor().settings(new SystemMonitor.Settings(10, LIMIT_MS, QUEUE / 4));
        assertEquals("has 500 messages in its mailbox (limit 250)", awaitAlert(hoarder, Kind.LONG_MESSAGE_QUEUE).detail());
        Hotcode.send(hoarder, "drain");
        assertEquals(QUEUE / 2, next());
    }

    @Test(timeout = 60_000)
    public void newSettingsStartAndEndTheSamplingThread() throws Exception {
        k.monitor().settings(new SystemMonitor.Settings(0, LIMIT_MS, QUEUE));
        k.monitor().start();
        assertFalse("interval 0: no sampling thread", k.monitor().sampling());
        k.monitor().settings(new SystemMonitor.Settings(10, LIMIT_MS, QUEUE));
        assertTrue("a started monitor starts sampling when new settings turn it on", k.monitor().sampling());
        k.monitor().settings(new SystemMonitor.Settings(0, LIMIT_MS, QUEUE));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (k.monitor().sampling()) {
            assertTrue("the sampling thread did not end within " + WAIT + " s", System.nanoTime() < deadline);
            Thread.sleep(5);
        }
        k.monitor().settings(new SystemMonitor.Settings(10, LIMIT_MS, QUEUE));
        assertTrue("and starts again", k.monitor().sampling());
    }

    @Test(timeout = 60_000)
    public void aProcessAPurgeCannotStopIsReportedAsRunningPurgedCodeUntilItExits() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid stubborn = Hotcode.spawn("m", "stubborn", stop, out);
        assertEquals("running", next());
        Modules.load(k, "m", Mod.class, "2.0.0");
        PurgeResult r = k.code().purge("m");
        assertEquals(List.of(stubborn), r.blockers());

        SystemAlert a = find(stubborn, Kind.RUNS_PURGED_CODE).orElseThrow(() ->
                new AssertionError("no runs_purged_code alert right after the purge: " + k.monitor().alerts()));
        assertEquals("m", a.module());
        assertEquals("1.0.0", a.version());
        assertTrue(a.detail(), a.detail().startsWith("still runs the purged m 1.0.0"));
        assertTrue("names where it runs: " + a.detail(), a.detail().contains(", at hotcode.runtime.testmod.Mod.stubborn(Mod.java:"));
        sampleFor(LIMIT_MS);
        assertEquals(List.of("runs_purged_code: " + stubborn + " (m 1.0.0) " + a.detail()),
                lines(warnings, stubborn).stream().filter(l -> l.startsWith("runs_purged_code")).toList());

        stop.set(true);
        assertEquals("stopped", next());
        assertTrue(((Proc) stubborn).awaitExit(WAIT * 1000));
        awaitCleared(stubborn, Kind.RUNS_PURGED_CODE);
        assertTrue(infos.toString(), infos.contains("runs_purged_code cleared: " + stubborn + ": it exited"));
    }

    // ------------------------------------------------------------------ helpers

    /** Samples until {@code pid} has an alert of {@code kind}; fails after {@link #WAIT} seconds. */
    private SystemAlert awaitAlert(Pid pid, Kind kind) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        for (;;) {
            k.monitor().sample();
            Optional<SystemAlert> a = find(pid, kind);
            if (a.isPresent()) {
                return a.get();
            }
            assertTrue("no " + kind + " alert for " + pid + " within " + WAIT + " s; alerts: " + k.monitor().alerts(),
                    System.nanoTime() < deadline);
            Thread.sleep(5);
        }
    }

    private void awaitCleared(Pid pid, Kind kind) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        do {
            assertTrue(kind + " alert for " + pid + " not cleared within " + WAIT + " s", System.nanoTime() < deadline);
            Thread.sleep(5);
            k.monitor().sample();
        } while (find(pid, kind).isPresent());
    }

    /** Keeps sampling for {@code millis}: what must not happen has had the time to. */
    private void sampleFor(long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            k.monitor().sample();
            Thread.sleep(5);
        }
    }

    private Optional<SystemAlert> find(Pid pid, Kind kind) {
        return k.monitor().alerts().stream().filter(a -> a.pid() == pid && a.kind() == kind).findFirst();
    }

    private Set<Pid> pidsWith(Kind kind) {
        Set<Pid> out = new HashSet<>();
        k.monitor().alerts().stream().filter(a -> a.kind() == kind).forEach(a -> out.add(a.pid()));
        return out;
    }

    private static List<String> lines(List<String> log, Pid pid) {
        return log.stream().filter(l -> l.contains(pid.toString())).toList();
    }

    private static List<Object> row(Table t, Pid pid) {
        return t.rows().stream().filter(r -> r.get(0) == pid).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + pid + " in\n" + t));
    }
}
