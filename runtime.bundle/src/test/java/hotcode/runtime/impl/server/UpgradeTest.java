package hotcode.runtime.impl.server;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Before;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * Upgrades of servers on load: suspend at the safe point, migrate with the new version's codeChange, resume; and the
 * rollback when any migration fails. Two loads of {@link Srv} are two versions with identically named classes.
 */
public class UpgradeTest extends KernelTest {
    private static final int N = 1000;
    private ModuleVersion v1;

    @Before
    public void load() {
        v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
    }

    /** N counters with state n = i; the one at {@code failAt}, registered as "failing", migrates with {@code mode}. */
    private List<Pid> servers(int failAt, String mode) throws Exception {
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Class<?> state = v1.loader().loadClass(Srv.State.class.getName());
        List<Pid> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Object s = Records.convert(Map.of("n", i, "log", List.of(), "upgrade", i == failAt ? mode : "ok"), state);
            out.add(i == failAt ? GenServer.start("failing", counter, s) : GenServer.start(counter, s));
        }
        return out;
    }

    private static Map<String, Object> state(Pid p) {
        return Records.fields(Sys.getState(p));
    }

    @Test
    public void everyServerMigratesAndResumesOnTheNewVersion() throws Exception {
        List<Pid> ps = servers(-1, "ok");
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        assertNotNull(v2);
        for (int i = 0; i < N; i++) {
            Pid p = ps.get(i);
            Object st = Sys.getState(p);
            assertSame("state of the new version's class", v2.loader(), st.getClass().getClassLoader());
            assertEquals(i, Records.fields(st).get("n"));
            assertEquals(List.of("upgraded from 1.0.0"), Records.fields(st).get("log"));
            assertSame(v2, ((Proc) p).topVersion());
        }
        assertTrue("nobody runs the old version", k.code().softPurge("srv").killed().isEmpty());
        assertEquals(5, GenServer.call(ps.get(5), atom("get")));
    }

    @Test
    public void messagesThatWaitDuringTheUpgradeAreServedAfterItInOrder() throws Exception {
        List<Pid> ps = servers(-1, "ok");
        Pid p = ps.get(0);
        Sys.suspend(p);
        for (int i = 0; i < 50; i++) {
            GenServer.cast(p, "m" + i);
        }
        Modules.load(k, "srv", Srv.class, "2.0.0");
        Sys.resume(p);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) GenServer.call(p, atom("log"));
        assertEquals(51, log.size());
        assertEquals("upgraded from 1.0.0", log.get(0));
        for (int i = 0; i < 50; i++) {
            assertEquals("m" + i, log.get(i + 1));
        }
    }

    @Test
    public void callsUnderAnUpgradeAreAllAnsweredAndNoneIsLost() throws Exception {
        List<Pid> ps = servers(-1, "ok");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        List<Object> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Pid> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            Pid target = ps.get(c);
            clients.add(Hotcode.spawn(() -> {
                int expected = (Integer) GenServer.call(target, atom("get"));
                while (!stop.get()) {
                    try {
                        Object r = GenServer.call(target, Tuple.of(atom("add"), 1));
                        if (!r.equals(++expected)) {
                            failures.add("expected " + expected + " got " + r);
                        }
                        answered.incrementAndGet();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }
                out.add("done");
                return null;
            }));
        }
        Thread.sleep(100);
        Modules.load(k, "srv", Srv.class, "2.0.0");
        Thread.sleep(100);
        stop.set(true);
        for (int c = 0; c < 8; c++) {
            next();
        }
        assertEquals(List.of(), failures);
        assertTrue(answered.get() > 0);
    }

    @Test
    public void aServerBusyInACallIsWaitedForAndThenMigrated() throws Exception {
        List<Pid> ps = servers(-1, "ok");
        Thread t = new Thread(() -> out.add(GenServer.call(ps.get(3), Tuple.of(atom("sleep"), 300))));
        t.start();
        Thread.sleep(50);
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        assertEquals("slept", next());
        assertSame(v2, ((Proc) ps.get(3)).topVersion());
    }

    @Test
    public void theFiveHundredthThrowingRollsBackAllThenAFixedVersionUpgrades() throws Exception {
        rollsBack(500, "throw", "codeChange refused the state");
    }

    @Test
    public void theFirstThrowingRollsBackAll() throws Exception {
        rollsBack(0, "throw", "codeChange refused the state");
    }

    @Test
    public void anErrorInCodeChangeRollsBack() throws Exception {
        rollsBack(999, "error", "StackOverflowError");
    }

    @Test
    public void aNullStateRollsBack() throws Exception {
        rollsBack(10, "null", "returned null");
    }

    @Test
    public void aStateStillOfTheOldVersionRollsBack() throws Exception {
        rollsBack(20, "stale", "cannot read");
    }

    @Test
    public void aMigrationPastTheBoundRollsBack() throws Exception {
        rollsBack(30, "slow", "did not reach a safe point and migrate within the migration bound");
    }

    private void rollsBack(int failAt, String mode, String cause) throws Exception {
        List<Pid> ps = servers(failAt, mode);
        Pid p0 = ps.get(0);
        Sys.suspend(p0);
        for (int i = 0; i < 20; i++) {
            GenServer.cast(p0, "m" + i);
        }
        try {
            Modules.load(k, "srv", Srv.class, "2.0.0");
            fail("the upgrade must roll back");
        } catch (MigrationException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("srv") && e.getMessage().contains("rolled back")
                    && e.getMessage().contains(cause) && e.getMessage().contains(ps.get(failAt) + " (failing)"));
            assertEquals(ps.get(failAt), e.pid());
        }
        assertEquals("1.0.0", k.codeServer().which("srv").orElseThrow().current().orElseThrow().version());
        assertTrue("no old version", k.codeServer().which("srv").orElseThrow().old().isEmpty());
        for (int i = 0; i < N; i++) {
            if (i == failAt && mode.equals("slow")) {
                continue; // still inside its codeChange; it returns to its old state when that ends
            }
            Pid p = ps.get(i);
            Object st = Sys.getState(p);
            assertSame("the old version's state object", v1.loader(), st.getClass().getClassLoader());
            assertEquals(i, Records.fields(st).get("n"));
            assertEquals(List.of(), Records.fields(st).get("log"));
            assertSame(v1, ((Proc) p).topVersion());
        }
        Sys.resume(p0);
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) GenServer.call(p0, atom("log"));
        assertEquals(20, log.size());
        for (int i = 0; i < 20; i++) {
            assertEquals("m" + i, log.get(i));
        }
        if (mode.equals("slow")) {
            Hotcode.exit(ps.get(failAt), Hotcode.KILL); // it would sit in its 60 s codeChange
            ((Proc) ps.get(failAt)).awaitExit(5000);
        } else {
            Class<?> stateV1 = v1.loader().loadClass(Srv.State.class.getName());
            Sys.replaceState(ps.get(failAt), s -> Records.convert(Records.fields(s), stateV1,
                    Map.of()) == null ? s : Records.convert(Map.of("n", failAt, "log", List.of(), "upgrade", "ok"), stateV1));
        }
        ModuleVersion v3 = Modules.load(k, "srv", Srv.class, "3.0.0");
        assertNotNull(v3);
        for (int i = 1; i < N; i++) {
            if (i == failAt && mode.equals("slow")) {
                continue;
            }
            Map<String, Object> st = state(ps.get(i));
            assertEquals(i, st.get("n"));
            assertEquals(List.of("upgraded from 1.0.0"), st.get("log"));
        }
        assertFalse(k.code().softPurge("srv").killed().size() > 0);
    }
}
