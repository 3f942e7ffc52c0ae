package hotcode.runtime.impl.server;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.Supervisor.Child;
import hotcode.runtime.api.Supervisor.Strategy;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Before;
import org.junit.Test;

import java.time.Duration;
import java.util.List;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** Supervisors: strategies, restart types, intensity, and restarts after a purge on the current version. */
public class SupervisorTest extends KernelTest {
    private ModuleVersion v1;
    private Class<?> counter;

    @Before
    public void load() throws Exception {
        v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
        counter = v1.loader().loadClass(Srv.Counter.class.getName());
    }

    private Pid await(String name, Pid not) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT * 1000;
        while (System.currentTimeMillis() < deadline) {
            Pid p = Hotcode.whereis(name);
            if (p != null && !p.equals(not)) {
                return p;
            }
            Thread.sleep(5);
        }
        fail(name + " was not restarted");
        return null;
    }

    private void crash(String name) {
        try {
            GenServer.call(name, atom("crash"));
        } catch (HotcodeException expected) {
            // the child crashes on purpose
        }
    }

    @Test
    public void oneForOneRestartsOnlyTheChildThatExitedUnderItsName() throws Exception {
        Pid sup = Supervisor.start("sup", Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("a", "a", counter, 1), Child.server("b", "b", counter, 2),
                Child.worker("w", "w", "srv", "worker", "w1"));
        Pid a = Hotcode.whereis("a");
        Pid b = Hotcode.whereis("b");
        crash("a");
        Pid a2 = await("a", a);
        assertNotEquals(a, a2);
        assertEquals(1, GenServer.call("a", atom("get")));
        assertSame(b, Hotcode.whereis("b"));
        List<Supervisor.ChildInfo> cs = Supervisor.whichChildren(sup);
        assertEquals(List.of("a", "b", "w"), cs.stream().map(Supervisor.ChildInfo::id).toList());
        assertEquals(1, cs.get(0).restarts());
        assertEquals(a2, cs.get(0).pid());
    }

    @Test
    public void oneForAllRestartsEveryChild() throws Exception {
        Supervisor.start("sup", Strategy.ONE_FOR_ALL, 3, Duration.ofSeconds(5),
                Child.server("a", "a", counter, 1), Child.server("b", "b", counter, 2));
        Pid a = Hotcode.whereis("a");
        Pid b = Hotcode.whereis("b");
        crash("b");
        await("b", b);
        await("a", a);
    }

    @Test
    public void restForOneRestartsTheChildAndThoseStartedAfterIt() throws Exception {
        Supervisor.start("sup", Strategy.REST_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("a", "a", counter, 1), Child.server("b", "b", counter, 2), Child.server("c", "c", counter, 3));
        Pid a = Hotcode.whereis("a");
        Pid b = Hotcode.whereis("b");
        Pid c = Hotcode.whereis("c");
        crash("b");
        await("b", b);
        await("c", c);
        assertSame(a, Hotcode.whereis("a"));
    }

    @Test
    public void tooManyRestartsShutTheSupervisorDown() throws Exception {
        Pid sup = Supervisor.start("sup", Strategy.ONE_FOR_ONE, 1, Duration.ofSeconds(30),
                Child.server("a", "a", counter, 1));
        Pid a = Hotcode.whereis("a");
        crash("a");
        Pid a2 = await("a", a);
        crash("a");
        assertTrue(((Proc) sup).awaitExit(WAIT * 1000));
        assertEquals(atom("shutdown"), ((Proc) sup).exitReason());
        assertTrue(((Proc) a2).awaitExit(WAIT * 1000));
        assertFalse(Hotcode.isAlive(a2));
    }

    @Test
    public void temporaryAndTransientChildrenFollowTheirRestartType() throws Exception {
        Pid sup = Supervisor.start(null, Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("t", "t", counter, 1).withRestart(Supervisor.Restart.TEMPORARY),
                Child.server("n", "n", counter, 2).withRestart(Supervisor.Restart.TRANSIENT));
        Pid t = Hotcode.whereis("t");
        Pid n = Hotcode.whereis("n");
        crash("t");
        assertEquals("bye", GenServer.call("n", atom("stop"))); // a normal exit
        assertTrue(((Proc) t).awaitExit(WAIT * 1000) && ((Proc) n).awaitExit(WAIT * 1000));
        Thread.sleep(100);
        assertEquals(null, Hotcode.whereis("t"));
        assertEquals(null, Hotcode.whereis("n"));
        assertTrue(Hotcode.isAlive(sup));
    }

    @Test
    public void aChildKilledByAPurgeRestartsOnTheCurrentVersionWithoutCountingAgainstTheIntensity() throws Exception {
        Supervisor.start("sup", Strategy.ONE_FOR_ONE, 0, Duration.ofSeconds(5),
                Child.worker("w", "w", "srv", "worker", "w1"), Child.server("a", "a", counter, 5));
        Pid sup2 = Supervisor.start("sup2", Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5), Child.server("b", "b", counter, 9));
        Pid w = Hotcode.whereis("w");
        Pid a = Hotcode.whereis("a");
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        assertSame("the worker waits in v1's code", v1, ((Proc) w).topVersion());
        assertSame("the server was migrated", v2, ((Proc) a).topVersion());
        assertEquals(List.of(w), k.codeServer().purge("srv").killed());
        Pid w2 = await("w", w);
        assertSame(v2, ((Proc) w2).topVersion());
        assertSame(a, Hotcode.whereis("a"));
        assertTrue("intensity 0, but a purge is not a crash", Hotcode.isAlive(Hotcode.whereis("sup")));
        // sup2 was given v1's class, now purged: a restart goes by name to the current version
        Pid b = Hotcode.whereis("b");
        ModuleVersion v3 = Modules.load(k, "srv", Srv.class, "3.0.0");
        k.codeServer().purge("srv"); // v2 goes; v1, whose class the spec was given, went before
        crash("b");
        Pid b2 = await("b", b);
        assertSame(v3, ((Proc) b2).topVersion());
        assertEquals(9, GenServer.call("b", atom("get")));
        assertTrue(Hotcode.isAlive(sup2));
    }

    @Test
    public void aChildThatCannotStartFailsTheSupervisorsStartNamingIt() throws Exception {
        try {
            Supervisor.start("sup", Strategy.ONE_FOR_ONE, 1, Duration.ofSeconds(5),
                    Child.server("a", "a", counter, 1), Child.server("bad", null, counter, Tuple.of(atom("fail"), "x")));
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("child bad failed to start"));
        }
        Thread.sleep(50);
        assertEquals("the child started first was stopped", null, Hotcode.whereis("a"));
        try {
            Supervisor.start(null, Strategy.ONE_FOR_ONE, 1, Duration.ofSeconds(5),
                    Child.server("x", null, counter, 1), Child.server("x", null, counter, 1));
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("unique"));
        }
    }

    @Test
    public void itExitsWithItsParentButNotWithAnotherLinkedProcess() throws Exception {
        hotcode.runtime.testsupport.Agent parent = hotcode.runtime.testsupport.Agent.spawn();
        Pid sup = parent.call(() -> Supervisor.startLink("sup", Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("a", "a", counter, 1)));
        hotcode.runtime.testsupport.Agent other = hotcode.runtime.testsupport.Agent.spawn();
        other.call(() -> {
            Hotcode.link(sup);
            return null;
        });
        other.exitWith(atom("boom"));
        Thread.sleep(100);
        assertTrue("a linked process that is not its parent does not take it down", Hotcode.isAlive(sup));
        Pid a = Hotcode.whereis("a");
        parent.exitWith(atom("boom"));
        assertTrue(((Proc) sup).awaitExit(WAIT * 1000));
        assertEquals(atom("boom"), ((Proc) sup).exitReason());
        assertTrue("its children are stopped", ((Proc) a).awaitExit(WAIT * 1000));
    }
}
