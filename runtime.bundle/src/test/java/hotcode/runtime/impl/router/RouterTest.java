package hotcode.runtime.impl.router;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** Qualified and local calls across two versions of module {@code m}, frames, tail calls, and call errors. */
public class RouterTest extends KernelTest {


    private Proc proc(Pid p) {
        return k.processes().lookup(p);
    }

    private void awaitExit(Pid p) throws InterruptedException {
        assertTrue(p + " did not exit", proc(p).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
    }

    // ------------------------------------------------------------------ local vs qualified

    @Test(timeout = 60_000)
    public void localCallsStayInTheirVersionQualifiedCallsGoToTheCurrentOne() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        assertEquals("v1", ask(p, "local"));
        assertEquals("v1", ask(p, "qualified"));

        Modules.load(k, "m", Mod.class, "2.0.0");
        assertEquals("local call from v1 code", "v1", ask(p, "local"));
        assertEquals("qualified call from v1 code", "v2", ask(p, "qualified"));
        assertEquals("qualified call from outside any process", "v2", Hotcode.call("m", "version"));

        assertEquals("upgrading", ask(p, "upgrade")); // Next.call("m", "loop", out)
        assertEquals("local call after the qualified tail call", "v2", ask(p, "local"));
        assertEquals("v2", ask(p, "qualified"));
    }

    @Test(timeout = 60_000)
    public void framesAndCheckProcessCodeAcrossAnUpgrade() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        assertEquals("v1", ask(p, "local")); // it is in its loop
        assertFalse("no old code yet", k.code().checkProcessCode(p, "m"));
        assertEquals(List.of("m:loop (m 1.0.0)"), proc(p).frames());

        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue("runs the old version until it re-enters", k.code().checkProcessCode(p, "m"));
        assertEquals(1, k.code().which("m").orElseThrow().old().orElseThrow().processes());
        assertEquals(0, k.code().which("m").orElseThrow().current().orElseThrow().processes());

        assertEquals("upgrading", ask(p, "upgrade"));
        assertEquals("v2", ask(p, "local")); // now in v2's loop
        assertFalse("no old frame after the qualified tail call", k.code().checkProcessCode(p, "m"));
        assertEquals(List.of("m:loop (m 2.0.0)"), proc(p).frames());
        assertEquals(0, k.code().which("m").orElseThrow().old().orElseThrow().processes());
        assertEquals(1, k.code().which("m").orElseThrow().current().orElseThrow().processes());
    }

    @Test(timeout = 60_000)
    public void aFunSpawnedByModuleCodeRunsThatVersion() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        Pid child = (Pid) ask(p, "spawnchild");
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue("the fun was made by v1 code", k.code().checkProcessCode(child, "m"));
        assertEquals(List.of("m:fun (m 1.0.0)"), proc(child).frames());
    }

    @Test(timeout = 60_000)
    public void aFunSpawnedByTheTestRunsNoModule() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn(() -> {
            Hotcode.receive();
            return null;
        });
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertFalse(k.code().checkProcessCode(p, "m"));
        assertEquals(List.of(), proc(p).frames());
    }

    @Test(timeout = 60_000)
    public void aQualifiedCallInProgressCountsAsRunningThatVersion() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn(() -> {
            out.add(Hotcode.call("m", "hold", out));                        // into v1, and back
            out.add(Hotcode.call("m", "contextLoaderIsMine"));
            Hotcode.receive("finish");
            return null;
        });
        assertEquals("holding", next());
        assertEquals(List.of("m:hold (m 1.0.0)"), proc(p).frames());
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue("inside a call to v1", k.code().checkProcessCode(p, "m"));
        Hotcode.send(p, "release");
        assertEquals("released", next());
        assertEquals("the context class loader inside a qualified call is the version's", true, next());
        assertFalse("the call has returned", k.code().checkProcessCode(p, "m"));
        assertEquals(List.of(), proc(p).frames());
    }

    // ------------------------------------------------------------------ tail calls do not grow the stack

    @Test(timeout = 60_000)
    public void millionLocalTailCallsRunOnAFlatStack() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        int total = 1_000_000;
        Pid p = Hotcode.spawn("m", "localTail", total, total, out);
        int first = (Integer) next();
        int last = (Integer) next();
        assertEquals("stack depth at the first and the last of " + total + " local tail calls", first, last);
        awaitExit(p);
        assertEquals(Hotcode.NORMAL, proc(p).exitReason()); // a StackOverflowError would be the reason otherwise
    }

    @Test(timeout = 60_000)
    public void millionQualifiedTailCallsRunOnAFlatStack() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        int total = 1_000_000;
        Pid p = Hotcode.spawn("m", "qualifiedTail", total, total, out);
        int first = (Integer) next();
        int last = (Integer) next();
        assertEquals("stack depth at the first and the last of " + total + " qualified tail calls", first, last);
        awaitExit(p);
        assertEquals(Hotcode.NORMAL, proc(p).exitReason());
    }

    // ------------------------------------------------------------------ undef

    @Test
    public void undefForAModuleThatIsNotLoaded() {
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.call("nosuch", "f", 1, 2));
        assertTrue(e.getMessage(), e.getMessage().contains("nosuch:f/2"));
        assertTrue(e.getMessage(), e.getMessage().contains("not loaded"));
        assertEquals("nosuch", e.module());
        assertEquals("f", e.function());
        assertEquals(2, e.arity());
        UndefException s = assertThrows(UndefException.class, () -> Hotcode.spawn("nosuch", "loop"));
        assertTrue(s.getMessage(), s.getMessage().contains("nosuch:loop/0"));
        assertEquals("spawn failed: nothing started", 0, k.processes().count());
    }

    @Test
    public void undefForAMissingFunction() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.call("m", "nofn"));
        assertTrue(e.getMessage(), e.getMessage().contains("m:nofn/0"));
        assertTrue(e.getMessage(), e.getMessage().contains("does not export nofn"));
        assertEquals(0, e.arity());
    }

    @Test
    public void undefForTheWrongArity() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.call("m", "version", 1, 2));
        assertTrue(e.getMessage(), e.getMessage().contains("m:version/2"));
        assertTrue(e.getMessage(), e.getMessage().contains("not with 2 argument(s)"));
        UndefException s = assertThrows(UndefException.class, () -> Hotcode.spawn("m", "loop"));
        assertTrue(s.getMessage(), s.getMessage().contains("m:loop/0"));
    }

    @Test
    public void undefInsideAProcessIsRaisedInTheCaller() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn(() -> {
            try {
                out.add(Hotcode.call("m", "nofn", "x"));
            } catch (UndefException e) {
                out.add(e);
            }
            return null;
        });
        Object r = next();
        assertTrue(String.valueOf(r), r instanceof UndefException);
        assertTrue(((UndefException) r).getMessage().contains("m:nofn/1"));
        awaitExit(p);
        assertEquals("the frame pushed for nothing is gone", List.of(), proc(p).frames());
    }

    // ------------------------------------------------------------------ bad process steps, badarg

    @Test
    public void spawningAFunctionThatDoesNotReturnNextFailsInTheCaller() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        HotcodeException e = assertThrows(HotcodeException.class, () -> Hotcode.spawn("m", "version"));
        assertTrue(e.getMessage(), e.getMessage().contains("m:version/0"));
        assertTrue(e.getMessage(), e.getMessage().contains("process step"));
        assertEquals("spawn failed: nothing started", 0, k.processes().count());
    }

    @Test(timeout = 60_000)
    public void aQualifiedTailCallToAFunctionThatDoesNotReturnNextEndsTheProcessNamingIt() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        Hotcode.send(p, "badstep");
        awaitExit(p);
        Object reason = proc(p).exitReason();
        assertTrue(String.valueOf(reason), reason instanceof HotcodeException);
        assertTrue(((HotcodeException) reason).getMessage(), ((HotcodeException) reason).getMessage().contains("m:version/0"));
    }

    @Test
    public void badargNamesTheFunctionAndTheArgumentPosition() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        assertEquals("v1:5", Hotcode.call("m", "echo", 5));

        HotcodeException e = assertThrows(HotcodeException.class, () -> Hotcode.call("m", "echo", "five"));
        assertFalse(e instanceof UndefException);
        assertTrue(e.getMessage(), e.getMessage().contains("badarg"));
        assertTrue(e.getMessage(), e.getMessage().contains("m:echo/1"));
        assertTrue(e.getMessage(), e.getMessage().contains("argument 1"));
        assertTrue(e.getMessage(), e.getMessage().contains("java.lang.String"));

        HotcodeException l = assertThrows(HotcodeException.class, () -> Hotcode.call("m", "echo", 5L));
        assertTrue(l.getMessage(), l.getMessage().contains("argument 1"));

        HotcodeException n = assertThrows(HotcodeException.class, () -> Hotcode.call("m", "echo", (Object) null));
        assertTrue("null for an int: " + n.getMessage(), n.getMessage().contains("argument 1"));

        HotcodeException second = assertThrows(HotcodeException.class, () -> Hotcode.call("m", "pair", 1, 2));
        assertTrue(second.getMessage(), second.getMessage().contains("m:pair/2"));
        assertTrue(second.getMessage(), second.getMessage().contains("argument 2"));
        assertEquals("1x", Hotcode.call("m", "pair", 1, "x"));
    }

    @Test(timeout = 60_000)
    public void badargInsideAProcessIsAHotcodeExceptionNotAClassCastException() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn(() -> {
            try {
                out.add(Hotcode.call("m", "pair", "1", "x"));
            } catch (RuntimeException e) {
                out.add(e);
            }
            return null;
        });
        Object r = next();
        assertEquals(HotcodeException.class, r.getClass());
        assertTrue(((Exception) r).getMessage(), ((Exception) r).getMessage().contains("m:pair/2"));
        awaitExit(p);
    }

    @Test(timeout = 60_000)
    public void spawnWithArgumentsOfTheWrongTypeCrashesTheProcessWithBadarg() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "localTail", "ten", 10, out);
        awaitExit(p);
        Object reason = proc(p).exitReason();
        assertEquals(HotcodeException.class, reason.getClass());
        String msg = ((HotcodeException) reason).getMessage();
        assertTrue(msg, msg.contains("m:localTail/3") && msg.contains("argument 1"));
    }

    // ------------------------------------------------------------------ values that cross versions

    @Test(timeout = 60_000)
    public void aValueOfOneVersionIsRefusedByAnotherNamingBoth() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        assertEquals("accepted by v1", ask(p, "cross"));
        Modules.load(k, "m", Mod.class, "2.0.0");
        Object r = ask(p, "cross");
        assertTrue(String.valueOf(r), r instanceof IncompatibleValueException);
        String msg = ((Exception) r).getMessage();
        assertTrue(msg, msg.contains(Mod.Token.class.getName()) && msg.contains("m 1.0.0") && msg.contains("m 2.0.0"));
    }
}
