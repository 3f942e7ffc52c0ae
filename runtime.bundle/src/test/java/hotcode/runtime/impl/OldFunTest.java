package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static hotcode.runtime.api.Hotcode.KILLED;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * Funs (lambdas) made by an old version run that version's code, wherever they are called: a process inside one runs
 * old code for check_process_code, soft purge and purge, whatever its frames say. A fun of a purged version is
 * {@code undef} where the runtime runs it (a spawn, a step).
 */
public class OldFunTest extends KernelTest {
    private ModuleVersion v1;

    @Before
    public void loadV1() {
        v1 = Modules.load(k, "m", Mod.class, "1.0.0");
    }

    private Proc proc(Pid p) {
        return k.processes().lookup(p);
    }

    private Object exitReasonOf(Pid p) throws InterruptedException {
        assertTrue(p + " did not exit", proc(p).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        return proc(p).exitReason();
    }

    /** A fun made by the current version of m (called from the test thread, outside every process). */
    @SuppressWarnings("unchecked")
    private static <T> T made(String function, Object... args) {
        return (T) Hotcode.call("m", function, args);
    }

    private static Object callIn(Callable<Object> fun) {
        try {
            return fun.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test(timeout = 60_000)
    public void aProcessOnTheCurrentVersionParkedInsideAnOldFunRunsOldCodeUntilItLeavesIt() throws Exception {
        Callable<Object> fun = made("parkingFun", out);
        ModuleVersion v2 = Modules.load(k, "m", Mod.class, "2.0.0");
        Pid p = Hotcode.spawn("m", "runFuns", List.of(fun), out);
        assertEquals("in fun", next());
        assertSame("its frames say v2", v2, proc(p).topVersion());

        assertTrue(k.code().checkProcessCode(p, "m"));
        PurgeResult soft = k.code().softPurge("m");
        assertFalse(soft.purged());
        assertEquals(List.of(p), soft.blockers());
        assertTrue("old code kept", k.code().which("m").orElseThrow().old().isPresent());

        Hotcode.send(p, "leave");
        assertEquals("the fun ran v1's code to its end", "v1", next());
        assertEquals("v2", ask(p, "local"));
        assertFalse(k.code().checkProcessCode(p, "m"));
        PurgeResult done = k.code().softPurge("m");
        assertTrue(done.purged());
        assertEquals(List.of(), done.killed());
        assertEquals("v2", ask(p, "local"));
    }

    @Test(timeout = 60_000)
    public void purgeKillsAProcessParkedInsideAnOldFunButNotOneThatLeftIt() throws Exception {
        Callable<Object> fun1 = made("parkingFun", out);
        Callable<Object> fun2 = made("parkingFun", out);
        Modules.load(k, "m", Mod.class, "2.0.0");
        Pid inside = Hotcode.spawn("m", "runFuns", List.of(fun1), out);
        assertEquals("in fun", next());
        Pid left = Hotcode.spawn("m", "runFuns", List.of(fun2), out);
        assertEquals("in fun", next());
        Hotcode.send(left, "leave");
        assertEquals("v1", next());
        assertEquals("v2", ask(left, "local"));

        PurgeResult r = k.code().purge("m");
        assertTrue(r.purged());
        assertEquals(List.of(inside), r.killed());
        assertSame(KILLED, exitReasonOf(inside));
        assertEquals("v2", ask(left, "local"));
    }

    @Test(timeout = 60_000)
    public void aBusyProcessInsideAnOldFunIsSeenAtItsNextRuntimeCall() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try {
            Callable<Object> fun = made("busyFun", stop, out);
            Modules.load(k, "m", Mod.class, "2.0.0");
            // a process of no module (test code) calls the fun: its only frames are those of the fun's qualified calls
            Pid p = Hotcode.spawn(() -> {
                out.add(callIn(fun));
                return Next.done();
            });
            assertEquals("in fun", next());
            assertFalse("no frame names v1", proc(p).runs(v1));

            assertTrue(k.code().checkProcessCode(p, "m"));
            assertEquals(List.of(p), k.code().softPurge("m").blockers());
            PurgeResult r = k.code().purge("m");
            assertEquals(List.of(p), r.killed());
            assertEquals(List.of(), r.blockers());
            assertSame(KILLED, exitReasonOf(p));
        } finally {
            stop.set(true);
        }
    }

    @Test(timeout = 60_000)
    public void aStepOfAnOldVersionCountsAsThatVersionEvenWhenItsProcessCannotAnswer() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try {
            Next step = made("stubbornStep", stop, out);
            Modules.load(k, "m", Mod.class, "2.0.0");
            // a v2 process continues with v1's step; the step never calls the runtime, so only its frame can tell
            Pid p = Hotcode.spawn("m", "runStep", List.of(step));
            assertEquals("running", next());
            assertSame("the trampoline named the step's version", v1, proc(p).topVersion());
            assertTrue(k.code().checkProcessCode(p, "m"));
            assertEquals(List.of(p), k.code().softPurge("m").blockers());
        } finally {
            stop.set(true);
        }
        assertEquals("stopped", next());
    }

    @Test(timeout = 60_000)
    public void aProcessOfNoModuleThatContinuesWithAnOldStepGetsItsFrame() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        try {
            // made by a qualified call from the process itself (its frame popped: no frame, context loader v1's)
            Pid p = Hotcode.spawn(() -> {
                Next step = (Next) Hotcode.call("m", "stubbornStep", stop, out);
                out.add("made");
                Hotcode.receive("go");
                return step;
            });
            assertEquals("the step is v1's: made before v2 is loaded", "made", next());
            Modules.load(k, "m", Mod.class, "2.0.0");
            Hotcode.send(p, "go");
            assertEquals("running", next());
            assertSame(v1, proc(p).topVersion());
            assertTrue(k.code().checkProcessCode(p, "m"));
        } finally {
            stop.set(true);
        }
        assertEquals("stopped", next());
    }

    @Test(timeout = 60_000)
    public void aProcessBlockedInAJdkCallInsideAnOldFunIsJudgedByItsFramesWithoutWaitingForIt() throws Exception {
        BlockingQueue<Object> in = new LinkedBlockingQueue<>();
        Callable<Object> fun = made("blockingFun", in, out);
        Modules.load(k, "m", Mod.class, "2.0.0");
        Pid p = Hotcode.spawn(() -> {
            out.add(callIn(fun));
            return Next.done();
        });
        assertEquals("in fun", next());
        long start = System.nanoTime();
        // it cannot walk its stack before the take returns, and no frame names v1: the documented blind spot
        assertFalse(k.code().checkProcessCode(p, "m"));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue("seen blocked, not waited for until the check's bound: " + tookMillis + " ms", tookMillis < 1000);
        in.add("taken");
        assertEquals("taken", next());
    }

    @Test(timeout = 60_000)
    public void spawnOfAFunOfAPurgedVersionIsUndefNamingModuleAndVersion() {
        Next step = made("parkingStep", out);
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue(k.code().purge("m").purged());
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.spawn(step));
        assertEquals("m", e.module());
        assertTrue(e.getMessage(), e.getMessage().contains("m 1.0.0") && e.getMessage().contains("purged"));
        assertTrue("nothing ran", out.isEmpty());
    }

    @Test(timeout = 60_000)
    public void aStepOfAPurgedVersionIsUndefWhenAProcessRunsIt() throws Exception {
        Next step = made("parkingStep", out);
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue(k.code().purge("m").purged());
        Pid p = Hotcode.spawn(() -> (Next) Hotcode.receive());
        Hotcode.send(p, step);
        Object reason = exitReasonOf(p);
        assertTrue("exit reason " + reason, reason instanceof UndefException);
        UndefException e = (UndefException) reason;
        assertEquals("m", e.module());
        assertTrue(e.getMessage(), e.getMessage().contains("m 1.0.0") && e.getMessage().contains("purged"));
        assertTrue("the purged step never ran", out.isEmpty());
    }

    /** What cannot be intercepted: a fun called by Java code runs its old code; its qualified calls go to current. */
    @Test(timeout = 60_000)
    public void aFunOfAPurgedVersionCalledByJavaCodeRunsItsOldCode() throws Exception {
        Callable<Object> fun = made("versionsFun");
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue(k.code().purge("m").purged());
        assertEquals("v1/v2", fun.call());
    }
}
