package hotcode.itest;

import static hotcode.itest.Itest.assertThrows;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.api.VersionInfo;
import hotcode.testing.Inbox;

/**
 * The code server's operations, after Erlang's code_SUITE: delete, purge (one process and many), soft purge, the
 * two-version limit (load_file refused with not_purged; l(M), i.e. Bundle.update, purges first), concurrent purges,
 * funs of old code, a new version that fails to start, and the purge's time bound with a process that cannot be
 * stopped. Each test uses its own module, so the tests are independent.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class CodeServerIT {
    /** The purge bound of this framework (hotcode.purge.timeout.ms), low so the stuck-process test is quick. */
    static final long PURGE_BOUND_MS = 1000;
    /** Test module set "tools" (see itest/src/test/modules/tools), as versions 1 and 2: fun/0 and spin/3. */
    static final String TOOLS_V1 = "tools-v1";
    static final String TOOLS_V2 = "tools-v2";
    static final String TOOLS_CLASS = "hotcode.itest.tools.Tools";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options(frameworkProperty("hotcode.purge.timeout.ms").value(String.valueOf(PURGE_BOUND_MS)));
    }

    // ------------------------------------------------------------------ delete

    @Test
    public void deleteKeepsProcessesAndMakesQualifiedCallsUndef() throws Exception {
        Echo e = Echo.start("deleted");
        Pid runner = e.spawnRunning("v1");
        Pid caller = e.spawnRunning("v1");

        assertTrue(code().delete(e.module));

        ModuleInfo info = which(e.module);
        assertEquals("its bundle is still installed: not_loaded, as Erlang says of a deleted module", "not_loaded", info.status());
        assertTrue("no current version: " + info, info.current().isEmpty());
        assertEquals("1.0.0", info.old().orElseThrow().version());
        assertEquals(2, info.old().orElseThrow().processes());
        assertFalse(code().isLoaded(e.module));
        assertEquals("the bundle stays active", Bundle.ACTIVE, e.bundle.getState());
        assertTrue(Hotcode.isAlive(runner));
        assertEquals("the process goes on in the deleted code", "v1", e.inbox.ask(runner, "local"));
        assertTrue(code().checkProcessCode(runner, e.module));

        UndefException undef = assertThrows(UndefException.class, () -> Hotcode.call(e.module, "vsn"));
        assertEquals(e.module, undef.module());
        assertEquals("vsn", undef.function());
        assertThrows(UndefException.class, () -> Hotcode.spawn(e.module, "loop", e.module, e.inbox.pid()));

        // a qualified call made by a process crashes it with undef, as in Erlang
        Inbox.Monitor monitor = new Inbox.Monitor(caller);
        Hotcode.send(caller, tuple(atom("qualified"), e.inbox.pid()));
        Object reason = monitor.awaitDown();
        assertTrue("the caller dies of undef, got " + reason, reason instanceof UndefException);
        assertEquals(e.module, ((UndefException) reason).module());

        assertFalse("a second delete is refused: the module has old code and no current version", code().delete(e.module));
        assertEquals("not_loaded", which(e.module).status());
        assertTrue(Hotcode.isAlive(runner));

        // the deleted code is old code: purging it kills its processes; the module stays known (not_loaded) while its
        // bundle is installed, and the code server forgets it when the bundle is uninstalled
        PurgeResult purge = code().purge(e.module);
        assertTrue(purge.purged());
        assertEquals(List.of(runner), purge.killed());
        Itest.awaitExit(runner);
        ModuleInfo purged = which(e.module);
        assertEquals("not_loaded", purged.status());
        assertTrue("no code left: " + purged, purged.current().isEmpty() && purged.old().isEmpty());
        assertFalse(code().delete(e.module));
        e.bundle.uninstall();
        assertTrue("forgotten (non_existing): " + code().which(e.module), code().which(e.module).isEmpty());
        assertFalse(code().delete(e.module));
    }

    // ------------------------------------------------------------------ purge

    @Test
    public void purgeKillsOldCodeProcessesAndSignalsLinksAndMonitors() throws Exception {
        Echo e = Echo.start("purgeone");
        Pid stayer = e.spawnRunning("v1");
        Pid mover = e.spawnRunning("v1");

        PurgeResult nothing = code().purge(e.module);
        assertEquals(new PurgeResult(e.module, false, List.of(), List.of()), nothing);
        assertTrue(Hotcode.isAlive(stayer));

        Inbox.Monitor monitor = new Inbox.Monitor(stayer);
        Inbox.Linked linked = new Inbox.Linked(stayer);
        e.update("2.0.0", TestModules.ECHO_V2);
        assertEquals("v1", e.inbox.ask(mover, "reenter"));
        assertEquals("v2", e.inbox.ask(mover, "local"));
        assertTrue(code().checkProcessCode(stayer, e.module));
        assertFalse(code().checkProcessCode(mover, e.module));

        PurgeResult purge = code().purge(e.module);

        assertEquals(new PurgeResult(e.module, true, List.of(stayer), List.of()), purge);
        assertEquals("the monitor sees the purge kill", Hotcode.KILLED, monitor.awaitDown());
        assertEquals("the trapping linked process gets {'EXIT', Pid, killed}", Hotcode.KILLED, linked.awaitExit());
        assertFalse(Hotcode.isAlive(stayer));
        assertTrue(Hotcode.isAlive(mover));
        assertEquals("v2", e.inbox.ask(mover, "local"));
        ModuleInfo info = which(e.module);
        assertTrue("no old code after the purge: " + info, info.old().isEmpty());
        assertEquals("2.0.0", currentVersion(e.module));
        assertEquals(new PurgeResult(e.module, false, List.of(), List.of()), code().purge(e.module));

        // the refresh that follows has nothing left to purge: nobody else dies, and the purged version's anchor goes
        List<org.osgi.framework.FrameworkEvent> errors = Itest.frameworkErrorsDuring(() -> Itest.refresh(e.bundle));
        assertEquals("framework errors during the refresh:" + Itest.describe(errors), List.of(), errors);
        assertTrue(Hotcode.isAlive(mover));
        assertEquals("v2", e.inbox.ask(mover, "qualified"));
        assertEquals("v2", e.inbox.ask(mover, "local"));
        Itest.await("the purged version's anchor to be uninstalled", () -> java.util.Arrays.stream(context().getBundles())
                .noneMatch(b -> b.getLocation().startsWith("hotcode:anchor:" + e.module + ":1:")));
    }

    /**
     * 1,000 processes on old code and 1,000 unrelated ones in linked pairs (500 pairs of a current-version process
     * and a probe lambda, 500 pairs of probe lambdas): the purge kills exactly the old-code ones.
     */
    @Test
    public void purgeKillsOnlyTheManyOldCodeProcesses() throws Exception {
        int n = 1000;
        Echo e = Echo.start("purgemany");
        List<Pid> old = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            old.add(e.spawn());
        }
        Itest.await(n + " processes running v1", () -> processes(which(e.module).current()) == n);
        e.update("2.0.0", TestModules.ECHO_V2);
        assertEquals(n, processes(which(e.module).old()));

        List<Pid> others = new ArrayList<>();
        CountDownLatch linked = new CountDownLatch(n / 2);
        for (int i = 0; i < n / 2; i++) {
            Pid first = i % 2 == 0 ? e.spawn() : Hotcode.spawn(CodeServerIT::idle);
            Pid second = Hotcode.spawn(() -> {
                Hotcode.link(first);
                linked.countDown();
                return idle();
            });
            others.add(first);
            others.add(second);
        }
        assertTrue("the pairs did not link within " + Itest.TIMEOUT_SECONDS + " s",
                linked.await(Itest.TIMEOUT_SECONDS, TimeUnit.SECONDS));
        Itest.await(n / 4 + " processes running v2", () -> processes(which(e.module).current()) == n / 4);
        for (Pid p : old) {
            assertTrue(code().checkProcessCode(p, e.module));
        }
        for (Pid p : others) {
            assertFalse(code().checkProcessCode(p, e.module));
        }

        PurgeResult purge = code().purge(e.module);

        assertTrue(purge.purged());
        assertEquals(n, purge.killed().size());
        assertEquals(new HashSet<>(old), new HashSet<>(purge.killed()));
        assertTrue("blockers can only be killed processes: " + purge.blockers(), old.containsAll(purge.blockers()));
        for (Pid p : old) {
            Itest.awaitExit(p);
        }
        for (Pid p : others) {
            assertTrue(p + " is not on old code and must survive the purge", Hotcode.isAlive(p));
        }
        for (int i = 0; i < others.size(); i += 4) {
            assertEquals("v2", e.inbox.ask(others.get(i), "local"));
        }
        for (Pid p : others) {
            assertTrue(p + " must still be alive after its partner answered", Hotcode.isAlive(p));
        }
        assertEquals(n / 4, processes(which(e.module).current()));
        assertTrue(which(e.module).old().isEmpty());
    }

    // ------------------------------------------------------------------ soft purge

    @Test
    public void softPurgeRefusesWhileOldCodeRunsAndChangesNothing() throws Exception {
        Echo e = Echo.start("softly");
        Pid lingerer = e.spawnRunning("v1");
        assertEquals("nothing to purge is a success, as in Erlang",
                new PurgeResult(e.module, true, List.of(), List.of()), code().softPurge(e.module));

        e.update("2.0.0", TestModules.ECHO_V2);
        ModuleInfo before = which(e.module);
        PurgeResult refused = code().softPurge(e.module);
        assertEquals(new PurgeResult(e.module, false, List.of(), List.of(lingerer)), refused);
        assertEquals("nothing changed", before, which(e.module));
        assertTrue(Hotcode.isAlive(lingerer));
        assertEquals("v1", e.inbox.ask(lingerer, "local"));
        assertTrue(code().checkProcessCode(lingerer, e.module));

        // the lingerer re-enters the current version: nothing blocks any more
        assertEquals("v1", e.inbox.ask(lingerer, "reenter"));
        assertEquals("v2", e.inbox.ask(lingerer, "local"));
        assertEquals(new PurgeResult(e.module, true, List.of(), List.of()), code().softPurge(e.module));
        assertTrue(which(e.module).old().isEmpty());
        assertTrue(Hotcode.isAlive(lingerer));

        // next cycle: the lingerer (now on v2) exits instead
        e.update("3.0.0", TestModules.ECHO_V3);
        assertEquals("2.0.0", which(e.module).old().orElseThrow().version());
        assertEquals(new PurgeResult(e.module, false, List.of(), List.of(lingerer)), code().softPurge(e.module));
        Inbox.Monitor monitor = new Inbox.Monitor(lingerer);
        Hotcode.send(lingerer, tuple(atom("stop"), e.inbox.pid()));
        assertEquals(Hotcode.NORMAL, monitor.awaitDown());
        assertEquals(new PurgeResult(e.module, true, List.of(), List.of()), code().softPurge(e.module));
        assertTrue(which(e.module).old().isEmpty());
        assertEquals("3.0.0", currentVersion(e.module));
        assertEquals("v3", Hotcode.call(e.module, "vsn"));
    }

    // ------------------------------------------------------------------ two versions at most

    @Test
    public void thirdVersionNeedsAPurge() throws Exception {
        Echo e = Echo.start("versions");
        Pid p1 = e.spawnRunning("v1");
        e.update("2.0.0", TestModules.ECHO_V2);
        Pid p2 = e.spawnRunning("v2");
        assertEquals("v1", e.inbox.ask(p1, "local"));
        assertEquals("v2", e.inbox.ask(p2, "local"));
        assertEquals("v2", e.inbox.ask(p1, "qualified"));

        ModuleInfo before = which(e.module);
        String v3 = jarFile(e.jar("3.0.0", TestModules.ECHO_V3));
        HotcodeException refused = assertThrows(HotcodeException.class, () -> code().load(e.module, v3));
        assertTrue(refused.getMessage(), refused.getMessage().contains("not_purged"));
        assertTrue(refused.getMessage(), refused.getMessage().contains(e.module));
        assertEquals("nothing changed", before, which(e.module));
        assertEquals("2.0.0", e.bundle.getVersion().toString());
        assertEquals(2, Itest.revisions(e.bundle));
        assertEquals("v1", e.inbox.ask(p1, "local"));
        assertEquals("v2", e.inbox.ask(p2, "local"));
        assertEquals("v2", Hotcode.call(e.module, "vsn"));

        // l(M): Bundle.update purges v1 first (its lingerer dies), then v3 is current and v2 old
        Inbox.Monitor monitor = new Inbox.Monitor(p1);
        e.update("3.0.0", TestModules.ECHO_V3);
        assertEquals(Hotcode.KILLED, monitor.awaitDown());
        ModuleInfo after = which(e.module);
        assertEquals("3.0.0", after.current().orElseThrow().version());
        assertEquals(3, after.current().orElseThrow().vsn());
        assertEquals("2.0.0", after.old().orElseThrow().version());
        assertEquals(2, after.old().orElseThrow().vsn());
        assertEquals(1, after.old().orElseThrow().processes());
        assertTrue(Hotcode.isAlive(p2));
        assertEquals("v2", e.inbox.ask(p2, "local"));
        assertEquals("v3", e.inbox.ask(p2, "qualified"));
        assertEquals("v3", e.inbox.ask(e.spawn(), "local"));
    }

    /** CodeServer.load is Erlang's load_file: the jar must be a version of the module; old code must be purged. */
    @Test
    public void loadFileLoadsOnlyVersionsOfTheModuleAndOnlyWhenPurged() throws Exception {
        Echo e = Echo.start("loadfile");
        Pid p = e.spawnRunning("v1");

        String otherModule = jarFile(TestModules.module(e.bsn, "2.0.0").module("someoneelse", TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).bytes());
        HotcodeException wrong = assertThrows(HotcodeException.class, () -> code().load(e.module, otherModule));
        assertTrue(wrong.getMessage(), wrong.getMessage().contains("someoneelse"));
        String otherBundle = jarFile(TestModules.module(e.bsn + ".other", "2.0.0").module(e.module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).bytes());
        assertThrows(HotcodeException.class, () -> code().load(e.module, otherBundle));
        assertEquals("1.0.0", currentVersion(e.module));
        assertEquals("1.0.0", e.bundle.getVersion().toString());

        String v2Url = jarFile(e.jar("2.0.0", TestModules.ECHO_V2));
        VersionInfo v2 = code().load(e.module, v2Url);
        assertEquals("2.0.0", v2.version());
        assertEquals("which names each version's own jar", v2Url, v2.location());
        assertEquals(e.bundle.getLocation(), which(e.module).old().orElseThrow().location());
        assertEquals(2, v2.vsn());
        assertEquals(e.bundle.getBundleId(), v2.bundleId());
        assertEquals("1.0.0", which(e.module).old().orElseThrow().version());
        assertEquals("v1", e.inbox.ask(p, "local"));
        assertEquals("v2", e.inbox.ask(p, "qualified"));

        String v3 = jarFile(e.jar("3.0.0", TestModules.ECHO_V3));
        assertThrows(HotcodeException.class, () -> code().load(e.module, v3));
        assertEquals(List.of(p), code().purge(e.module).killed());
        VersionInfo loaded = code().load(e.module, v3);
        assertEquals("3.0.0", loaded.version());
        assertEquals(3, loaded.vsn());
        assertEquals("v3", Hotcode.call(e.module, "vsn"));
        assertEquals("2.0.0", which(e.module).old().orElseThrow().version());
        Itest.awaitExit(p);
    }

    /**
     * OSGi keeps one location per bundle: after an update from a stream (Gogo's {@code update <id> <url>}) the
     * location still names the first jar, so {@code which} says the new version came from a stream instead of
     * showing that file for both versions.
     */
    @Test
    public void whichTellsAVersionUpdatedFromAStreamFromTheOneAtTheBundlesLocation() throws Exception {
        String module = "streamed";
        TestModules.Spec v1 = TestModules.module("hotcode.itest." + module, "1.0.0").module(module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1);
        String file = jarFile(v1.bytes());
        Bundle b = context().installBundle(file);
        b.start();
        assertEquals(file, which(module).current().orElseThrow().location());
        TestModules.module("hotcode.itest." + module, "2.0.0").module(module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(b);
        ModuleInfo m = which(module);
        assertEquals("2.0.0", m.current().orElseThrow().version());
        assertEquals("updated from a stream (bundle location " + file + ")", m.current().orElseThrow().location());
        assertEquals(file, m.old().orElseThrow().location());
        b.uninstall();
    }

    // ------------------------------------------------------------------ concurrency

    /** Eight purges at once are serialized: each gets an answer, exactly one purged and killed the lingerer. */
    @Test
    public void concurrentPurgesAreAllServed() throws Exception {
        Echo e = Echo.start("concurrent");
        Pid victim = e.spawnRunning("v1");
        e.update("2.0.0", TestModules.ECHO_V2);
        Pid survivor = e.spawnRunning("v2");
        Inbox.Monitor monitor = new Inbox.Monitor(victim);

        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<PurgeResult> results = new ArrayList<>();
        try {
            List<Future<PurgeResult>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                futures.add(pool.submit(() -> {
                    start.await(Itest.TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    return code().purge(e.module);
                }));
            }
            for (Future<PurgeResult> f : futures) {
                results.add(f.get(Itest.TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        List<PurgeResult> purged = results.stream().filter(PurgeResult::purged).toList();
        assertEquals("exactly one purge found old code: " + results, 1, purged.size());
        assertEquals(new PurgeResult(e.module, true, List.of(victim), List.of()), purged.get(0));
        for (PurgeResult r : results) {
            if (!r.purged()) {
                assertEquals(new PurgeResult(e.module, false, List.of(), List.of()), r);
            }
        }
        assertEquals(Hotcode.KILLED, monitor.awaitDown());
        assertTrue(Hotcode.isAlive(survivor));
        assertEquals("v2", e.inbox.ask(survivor, "local"));
        assertTrue(which(e.module).old().isEmpty());
    }

    // ------------------------------------------------------------------ funs of old code

    /** A fun made by v1 and held by a process keeps running v1 (and v1's classes) after v2 is loaded. */
    @Test
    public void oldFunKeepsItsVersionAfterAnUpdate() throws Exception {
        String mod = "funs";
        String bsn = "hotcode.itest.funs";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V1).start(context());
        Inbox inbox = Inbox.open();
        Pid holder = Hotcode.spawn(() -> holdFun(mod, inbox.pid()));
        assertEquals("the fun was made by v1", "v1", inbox.next("holding", 2).get(1));

        TestModules.module(bsn, "2.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V2).updateOf(bundle);
        assertEquals("2.0.0", currentVersion(mod));

        assertEquals("the v1 fun runs v1 code, including a v1 class first loaded now", "fun-v1/part-v1",
                inbox.ask(holder, "call"));
        assertEquals("fun-v1/part-v1", inbox.ask(holder, "call"));
        @SuppressWarnings("unchecked")
        Supplier<String> fresh = (Supplier<String>) Hotcode.call(mod, "fun");
        assertEquals("a fun made now is v2's", "fun-v2/part-v2", fresh.get());
        assertEquals("v2", Hotcode.call(mod, "vsn"));
        assertEquals("fun-v1/part-v1", inbox.ask(holder, "call"));
    }

    /** A probe process: gets a fun from the module's current version, reports {holding, Vsn}, then serves calls. */
    @SuppressWarnings("unchecked")
    private static Next holdFun(String mod, Pid owner) {
        Supplier<String> fun = (Supplier<String>) Hotcode.call(mod, "fun");
        Hotcode.send(owner, tuple(atom("holding"), Hotcode.call(mod, "vsn")));
        return () -> serveFun(fun);
    }

    private static Next serveFun(Supplier<String> fun) {
        Tuple request = (Tuple) Hotcode.receive(tuple(atom("call"), Pid.class));
        Hotcode.send(request.get(1, Pid.class), tuple(atom("call"), fun.get()));
        return () -> serveFun(fun);
    }

    // ------------------------------------------------------------------ a new version that cannot start

    /** load_file of a version whose activator fails: refused naming the failure; the previous version serves on. */
    @Test
    public void newVersionThatFailsToStartLeavesThePreviousOneCurrent() throws Exception {
        Echo e = Echo.start("failstart");
        Pid p = e.spawnRunning("v1");
        String failing = jarFile(TestModules.module(e.bsn, "2.0.0").module(e.module, TestModules.ECHO_CLASS)
                .activator(TestModules.FAILING_ACTIVATOR_CLASS)
                .classes(TestModules.ECHO_V2, TestModules.FAILING_ACTIVATOR).bytes());

        HotcodeException refused = assertThrows(HotcodeException.class, () -> code().load(e.module, failing));
        assertTrue(refused.getMessage(), refused.getMessage().contains("FailingActivator"));

        ModuleInfo info = which(e.module);
        assertEquals("1.0.0", currentVersion(e.module));
        assertTrue("nothing became old: " + info, info.old().isEmpty());
        assertEquals("v1", Hotcode.call(e.module, "vsn"));
        assertTrue(Hotcode.isAlive(p));
        assertEquals("v1", e.inbox.ask(p, "local"));
        assertEquals("v1", e.inbox.ask(p, "qualified"));
        assertFalse(code().checkProcessCode(p, e.module));
        assertEquals("v1", e.inbox.ask(e.spawn(), "local"));

        // and a good version after it loads as usual
        VersionInfo v3 = code().load(e.module, jarFile(e.jar("3.0.0", TestModules.ECHO_V3)));
        assertEquals("3.0.0", v3.version());
        assertEquals("1.0.0", which(e.module).old().orElseThrow().version());
        assertEquals("v3", e.inbox.ask(p, "qualified"));
        assertEquals("v1", e.inbox.ask(p, "local"));
    }

    // ------------------------------------------------------------------ the purge bound

    /**
     * A process spinning in old code makes no runtime call, so the kill cannot reach it: the purge still returns
     * after its bound, drops the old code, and names the process as a blocker. Once the process makes a runtime call,
     * it dies with reason killed.
     */
    @Test
    public void purgeOfAStuckProcessReturnsAfterItsBound() throws Exception {
        String mod = "stuck";
        String bsn = "hotcode.itest.stuck";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V1).start(context());
        Inbox inbox = Inbox.open();
        AtomicBoolean release = new AtomicBoolean();
        try {
            Pid stuck = Hotcode.spawn(mod, "spin", release, inbox.pid(), 120_000L);
            assertEquals(stuck, inbox.next("spinning", 2).get(1));
            Inbox.Monitor monitor = new Inbox.Monitor(stuck);
            TestModules.module(bsn, "2.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V2).updateOf(bundle);
            assertTrue(code().checkProcessCode(stuck, mod));

            long t0 = System.nanoTime();
            PurgeResult purge = code().purge(mod);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            assertEquals(new PurgeResult(mod, true, List.of(stuck), List.of(stuck)), purge);
            assertTrue("the purge returned without waiting for the stuck process", Hotcode.isAlive(stuck));
            assertTrue("the purge waited its bound (" + PURGE_BOUND_MS + " ms), took " + tookMs + " ms",
                    tookMs >= PURGE_BOUND_MS / 2);
            assertTrue("the purge took " + tookMs + " ms", tookMs < TimeUnit.SECONDS.toMillis(Itest.TIMEOUT_SECONDS));
            assertTrue("the old code is dropped anyway", which(mod).old().isEmpty());
            assertEquals("v2", Hotcode.call(mod, "vsn"));

            release.set(true);
            assertEquals("at its next runtime call the stuck process dies of the kill", Hotcode.KILLED,
                    monitor.awaitDown());
        } finally {
            release.set(true);
        }
    }

    /**
     * The same stuck process, but its spinning step is its last one: the purge killed it, so it must end with reason
     * killed (as the purge reported), and its links and monitors must see killed, not normal.
     */
    @Test
    public void stuckProcessKilledByAPurgeEndsKilledEvenIfItsLastStepReturns() throws Exception {
        String mod = "stucklast";
        String bsn = "hotcode.itest.stucklast";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V1).start(context());
        Inbox inbox = Inbox.open();
        AtomicBoolean release = new AtomicBoolean();
        try {
            Pid stuck = Hotcode.spawn(mod, "spinLast", release, inbox.pid(), 120_000L);
            assertEquals(stuck, inbox.next("spinning", 2).get(1));
            Inbox.Monitor monitor = new Inbox.Monitor(stuck);
            Inbox.Linked linked = new Inbox.Linked(stuck);
            TestModules.module(bsn, "2.0.0").module(mod, TOOLS_CLASS).classes(TOOLS_V2).updateOf(bundle);

            PurgeResult purge = code().purge(mod);
            assertEquals(new PurgeResult(mod, true, List.of(stuck), List.of(stuck)), purge);
            assertTrue(Hotcode.isAlive(stuck));

            release.set(true);
            assertEquals("the monitor of a process the purge killed sees killed", Hotcode.KILLED, monitor.awaitDown());
            assertEquals("its trapping link sees killed", Hotcode.KILLED, linked.awaitExit());
        } finally {
            release.set(true);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Next idle() {
        Hotcode.receive();
        return CodeServerIT::idle;
    }

    private static int processes(java.util.Optional<VersionInfo> v) {
        return v.map(VersionInfo::processes).orElse(-1);
    }

    /** Writes {@code jar} to a temporary file; returns its file: URL (for CodeServer.load). */
    static String jarFile(byte[] jar) throws java.io.IOException {
        Path f = Files.createTempFile("hotcode-itest-", ".jar");
        f.toFile().deleteOnExit();
        Files.write(f, jar);
        return f.toUri().toString();
    }

    /** Module {@code <module>} made of the echo sets, bundle hotcode.itest.{@code <module>}, with one inbox. */
    static final class Echo {
        final String module;
        final String bsn;
        final Bundle bundle;
        final Inbox inbox;

        private Echo(String module) throws BundleException {
            this.module = module;
            this.bsn = "hotcode.itest." + module;
            this.bundle = TestModules.module(bsn, "1.0.0").module(module, TestModules.ECHO_CLASS)
                    .classes(TestModules.ECHO_V1).start(context());
            this.inbox = Inbox.open();
        }

        static Echo start(String module) throws BundleException {
            return new Echo(module);
        }

        /** A process in the module's loop (it enters the current version when it first runs). */
        Pid spawn() {
            return Hotcode.spawn(module, "loop", module, inbox.pid());
        }

        /** A process that has entered the loop: it answered {@code local} with {@code vsn}. */
        Pid spawnRunning(String vsn) {
            Pid p = spawn();
            assertEquals(vsn, inbox.ask(p, "local"));
            return p;
        }

        byte[] jar(String version, String set) {
            return TestModules.module(bsn, version).module(module, TestModules.ECHO_CLASS).classes(set).bytes();
        }

        /** Bundle.update to {@code version} built from {@code set}: Erlang's l(M). */
        void update(String version, String set) throws BundleException {
            TestModules.module(bsn, version).module(module, TestModules.ECHO_CLASS).classes(set).updateOf(bundle);
            assertEquals(version, currentVersion(module));
        }
    }
}
