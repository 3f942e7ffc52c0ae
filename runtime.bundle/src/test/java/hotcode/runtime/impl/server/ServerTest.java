package hotcode.runtime.impl.server;

import hotcode.runtime.api.CallException;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Before;
import org.junit.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** The server behaviour without upgrades: start, call, cast, info, sys requests, and every kind of bad input. */
public class ServerTest extends KernelTest {
    private ModuleVersion v1;
    private final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();

    @Before
    public void load() throws Exception {
        v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
        Hotcode.subscribeDeadLetters(deadLetters::add);
    }

    private Class<?> counter() throws ClassNotFoundException {
        return v1.loader().loadClass(Srv.Counter.class.getName());
    }

    @Test
    public void callCastAndInfoReachTheirCallbacksInOrder() throws Exception {
        Pid s = GenServer.start("counter", counter(), 5);
        assertEquals(5, GenServer.call(s, atom("get")));
        GenServer.cast("counter", atom("incr"));
        Hotcode.send(s, Tuple.of(atom("note"), "hello"));
        assertEquals(7, GenServer.call("counter", Tuple.of(atom("add"), 1)));
        assertEquals(List.of("hello"), GenServer.call(s, atom("log")));
    }

    @Test
    public void aProcessCallsAndItsMailboxKeepsNoTrace() throws Exception {
        Pid s = GenServer.start(counter(), 1);
        Agent a = Agent.spawn();
        Object r = a.call(() -> GenServer.call(s, Tuple.of(atom("add"), 2)));
        assertEquals(3, r);
        assertEquals("the reply and the monitor's DOWN leave nothing behind", 0,
                (int) a.call(() -> ((hotcode.runtime.impl.process.Proc) Hotcode.self()).mailboxLength()));
        assertEquals("answered later", "late", a.call(() -> GenServer.call(s, Tuple.of(atom("later"), "late"))));
    }

    @Test
    public void unexpectedCastsAndMessagesAreReportedAndCountedNotCrashes() throws Exception {
        Pid s = GenServer.start(v1.loader().loadClass(Srv.Minimal.class.getName()), null);
        GenServer.cast(s, atom("nobody_handles_this"));
        Hotcode.send(s, "nor this");
        assertEquals(7, GenServer.call(s, atom("get")));
        assertTrue(Hotcode.isAlive(s));
        assertEquals(2, deadLetters.stream().filter(d -> d.reason() == atom("unexpected")).count());
    }

    @Test
    public void aCallToADeadServerFailsNamingItAndCountsTheRequest() throws Exception {
        Pid s = GenServer.start(counter(), 0);
        GenServer.stop(s);
        try {
            GenServer.call(s, atom("get"));
            fail("a call to a dead server must fail");
        } catch (CallException e) {
            assertEquals(Hotcode.NOPROC, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(s.toString()) && e.getMessage().contains("srv 1.0.0"));
        }
        assertTrue(deadLetters.stream().anyMatch(d -> d.message() == atom("get") && d.reason() == Hotcode.NOPROC));
        try {
            GenServer.call("nobody", atom("get"));
            fail();
        } catch (CallException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("no process is registered as nobody"));
        }
    }

    @Test
    public void aReplyThatNeverComesTimesOutAndALateReplyIsADeadLetter() throws Exception {
        Pid s = GenServer.start(counter(), 0);
        Agent a = Agent.spawn();
        Object r = a.call(() -> {
            try {
                GenServer.call(s, atom("defer"), Duration.ofMillis(100));
                return "answered";
            } catch (CallException e) {
                return e;
            }
        });
        assertTrue(r instanceof CallException);
        CallException e = (CallException) r;
        assertEquals(atom("timeout"), e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains("defer") && e.getMessage().contains(s.toString()));
        assertTrue("the server still serves", Hotcode.isAlive(s) && GenServer.call(s, atom("get")).equals(0));
        // from a plain thread too
        try {
            GenServer.call(s, atom("defer"), Duration.ofMillis(50));
            fail();
        } catch (CallException x) {
            assertEquals(atom("timeout"), x.reason());
        }
    }

    @Test
    public void aCrashingCallbackEndsTheServerAndTheCallerIsToldWhy() throws Exception {
        LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        v1.loader().loadClass(Srv.Counter.class.getName()).getField("events").set(null, events);
        Pid s = GenServer.start(counter(), 3);
        try {
            GenServer.call(s, atom("crash"));
            fail();
        } catch (CallException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("crash requested"));
            assertTrue(e.reason() instanceof IllegalArgumentException);
        }
        Object t = events.poll(WAIT, TimeUnit.SECONDS);
        assertTrue(String.valueOf(t), t instanceof Tuple tt && tt.get(2).equals(3));
        Pid s2 = GenServer.start(counter(), 1);
        try {
            GenServer.call(s2, atom("null"));
            fail();
        } catch (CallException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("handleCall returned null"));
        }
    }

    @Test
    public void stopRepliesThenEnds() throws Exception {
        Pid s = GenServer.start(counter(), 0);
        assertEquals("bye", GenServer.call(s, atom("stop")));
        assertTrue(((hotcode.runtime.impl.process.Proc) s).awaitExit(WAIT * 1000));
        assertEquals(Hotcode.NORMAL, ((hotcode.runtime.impl.process.Proc) s).exitReason());
    }

    @Test
    public void badServerClassesAreRefusedNamingModuleAndClass() throws Exception {
        expectStartError(v1.loader().loadClass(Srv.NotAServer.class.getName()), "does not implement");
        expectStartError(v1.loader().loadClass(Srv.NoConstructor.class.getName()), "needs a public constructor");
        expectStartError(Srv.Counter.class, "is not a class of a Hotcode module");
        try {
            GenServer.start(counter(), Tuple.of(atom("fail"), "for the test"));
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("failed in init") && e.getMessage().contains("init refused"));
        }
        Pid s = GenServer.start("taken", counter(), 0);
        try {
            GenServer.start("taken", counter(), 0);
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("already registered to " + s));
        }
        Pid plain = Hotcode.spawn(() -> {
            Hotcode.receive();
            return null;
        });
        try {
            GenServer.call(plain, atom("get"));
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not a server"));
        }
    }

    private void expectStartError(Class<?> type, String text) {
        try {
            GenServer.start(type, null);
            fail("started " + type);
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains(text) && e.getMessage().contains(type.getName()));
        }
    }

    @Test
    public void aSuspendedServerQueuesMessagesInOrderAndStillAnswersSystemRequests() throws Exception {
        Pid s = GenServer.start(counter(), 0);
        Sys.suspend(s);
        for (int i = 0; i < 100; i++) {
            GenServer.cast(s, "m" + i);
        }
        Thread t = new Thread(() -> out.add(GenServer.call(s, atom("get"), Duration.ofSeconds(30))));
        t.start();
        Thread.sleep(50);
        assertEquals("no message served while suspended", List.of(),
                hotcode.runtime.api.Records.fields(Sys.getState(s)).get("log"));
        assertTrue("the call waits", out.isEmpty());
        Sys.replaceState(s, x -> x);
        Sys.resume(s);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) GenServer.call(s, atom("log"));
        assertEquals(100, log.size());
        for (int i = 0; i < 100; i++) {
            assertEquals("m" + i, log.get(i));
        }
        assertEquals(0, next());
    }

    @Test
    public void castsToNothingAreCountedNeverThrown() {
        GenServer.cast("nobody", atom("hello"));
        assertTrue(deadLetters.stream().anyMatch(d -> d.message() == atom("hello") && d.reason() == Hotcode.NOPROC));
    }

    @Test
    public void sysRequestsToAProcessThatIsNotAServerAreRefused() {
        Pid plain = Hotcode.spawn(() -> {
            Hotcode.receive();
            return null;
        });
        try {
            Sys.getState(plain);
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not a server"));
        }
        assertFalse(plain.toString().isEmpty());
        assertNotNull(plain);
    }
}
