package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.CallException;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Sys;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * The upgrade as a transaction ({@link ModuleUpgrade}): prepared, its servers wait suspended and the old version stays
 * current; committed, alone or together with others, everything switches; aborted, by its caller or by the watchdog
 * at the migration bound, everything stays as it was and the module can be upgraded again.
 */
public class UpgradeTransactionTest extends KernelTest {
    private static final int N = 20;

    /** N counters of {@code module} (loaded at 1.0.0 from {@link Srv}) whose state n is 100 + i. */
    private List<Pid> serversOf(String module, String failMode) throws Exception {
        ModuleVersion v1 = Modules.load(k, module, Srv.class, "1.0.0");
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Class<?> state = v1.loader().loadClass(Srv.State.class.getName());
        List<Pid> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Object s = Records.convert(Map.of("n", 100 + i, "log", List.of(), "upgrade", i == N / 2 ? failMode : "ok"), state);
            out.add(GenServer.start(counter, s));
        }
        return out;
    }

    private String current(String module) {
        return k.code().which(module).orElseThrow().current().orElseThrow().version();
    }

    private static void assertSuspended(Pid p) {
        try {
            GenServer.call(p, atom("get"), Duration.ofMillis(200));
            fail(p + " answered while its upgrade was prepared: it should wait, suspended, for the verdict");
        } catch (CallException expected) {
            // the call waits in the mailbox and is served after the verdict
        }
    }

    @Test
    public void aPreparedUpgradeHoldsItsServersUntilCommitted() throws Exception {
        List<Pid> ps = serversOf("srv", "ok");
        ModuleUpgrade u = k.code().prepare(Modules.source("srv", Srv.class, "2.0.0"));
        assertNotNull(u);
        assertTrue(u.prepared());
        assertEquals("not current before the commit", "1.0.0", current("srv"));
        assertSuspended(ps.get(3));

        UpgradeOutcome o = u.commit();
        assertEquals(UpgradeOutcome.Result.COMMITTED, o.result());
        assertEquals("2.0.0", o.to().version());
        assertEquals("1.0.0", o.from().version());
        assertEquals(N, o.servers());
        assertEquals("2.0.0", current("srv"));
        for (int i = 0; i < N; i++) {
            Object st = Sys.getState(ps.get(i));
            assertSame(o.to().loader(), st.getClass().getClassLoader());
            assertEquals(100 + i, Records.fields(st).get("n"));
        }
        assertFalse("ended once", u.prepared());
        assertEquals("a second commit changes nothing", UpgradeOutcome.Result.COMMITTED, u.commit().result());
    }

    @Test
    public void preparedUpgradesOfTwoModulesCommitTogether() throws Exception {
        List<Pid> a = serversOf("srva", "ok");
        List<Pid> b = serversOf("srvb", "ok");
        ModuleUpgrade ua = k.code().prepare(Modules.source("srva", Srv.class, "2.0.0"));
        ModuleUpgrade ub = k.code().prepare(Modules.source("srvb", Srv.class, "2.0.0"));
        assertEquals("1.0.0", current("srva"));
        assertEquals("1.0.0", current("srvb"));

        List<UpgradeOutcome> outcomes = ModuleUpgrade.commitAll(List.of(ua, ub));
        assertEquals(2, outcomes.size());
        for (UpgradeOutcome o : outcomes) {
            assertEquals(o.toString(), UpgradeOutcome.Result.COMMITTED, o.result());
        }
        assertEquals("2.0.0", current("srva"));
        assertEquals("2.0.0", current("srvb"));
        assertEquals(List.of("upgraded from 1.0.0"), Records.fields(Sys.getState(a.get(0))).get("log"));
        assertEquals(List.of("upgraded from 1.0.0"), Records.fields(Sys.getState(b.get(0))).get("log"));
    }

    @Test
    public void anAbortLeavesEverythingAsItWasAndTheModuleUpgradesLater() throws Exception {
        List<Pid> ps = serversOf("srv", "ok");
        ModuleUpgrade u = k.code().prepare(Modules.source("srv", Srv.class, "2.0.0"));
        UpgradeOutcome o = u.abort(new HotcodeException("the release was cancelled"));
        assertEquals(UpgradeOutcome.Result.ABORTED, o.result());
        assertTrue(o.cause().getMessage(), o.cause().getMessage().contains("the release was cancelled"));
        assertEquals("1.0.0", current("srv"));
        assertTrue("nothing old", k.code().which("srv").orElseThrow().old().isEmpty());
        assertEquals(103, GenServer.call(ps.get(3), atom("get")));
        assertTrue(o.to().isPurged());

        ModuleVersion v3 = Modules.load(k, "srv", Srv.class, "3.0.0"); // the module's lock was given back
        assertEquals("3.0.0", v3.version());
        assertEquals(List.of("upgraded from 1.0.0"), Records.fields(Sys.getState(ps.get(3))).get("log"));
    }

    @Test
    public void aFailedMigrationAbortsThePreparationItself() throws Exception {
        List<Pid> ps = serversOf("srv", "throw");
        ModuleUpgrade u = k.code().prepare(Modules.source("srv", Srv.class, "2.0.0"));
        assertFalse(u.prepared());
        UpgradeOutcome o = u.commit();
        assertEquals(UpgradeOutcome.Result.ABORTED, o.result());
        assertTrue(o.cause() instanceof MigrationException);
        assertEquals(ps.get(N / 2), ((MigrationException) o.cause()).pid());
        assertEquals("1.0.0", current("srv"));
        assertEquals(100, GenServer.call(ps.get(0), atom("get")));
    }

    @Test
    public void aPreparedUpgradeNobodyEndsAbortsItselfAtTheMigrationBound() throws Exception {
        Kernel.uninstall(k);
        k.processes().killAll(1000);
        k = new Kernel(2000, 300);
        Kernel.install(k);
        List<Pid> ps = serversOf("srv", "ok");
        ModuleUpgrade u = k.code().prepare(Modules.source("srv", Srv.class, "2.0.0"));
        long deadline = System.nanoTime() + WAIT * 1_000_000_000L;
        while (u.prepared() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse("the watchdog aborted it", u.prepared());
        UpgradeOutcome o = u.commit();
        assertEquals(UpgradeOutcome.Result.ABORTED, o.result());
        assertTrue(o.cause().getMessage(), o.cause().getMessage().contains("neither committed nor aborted within 300 ms"));
        assertEquals("1.0.0", current("srv"));
        assertEquals(105, GenServer.call(ps.get(5), atom("get")));

        // committed together with a fresh one: nothing is committed, the fresh one is aborted too
        List<Pid> others = serversOf("srvb", "ok");
        ModuleUpgrade fresh = k.code().prepare(Modules.source("srvb", Srv.class, "2.0.0"));
        List<UpgradeOutcome> outcomes = ModuleUpgrade.commitAll(List.of(fresh, u));
        assertEquals(UpgradeOutcome.Result.ABORTED, outcomes.get(0).result());
        assertEquals(UpgradeOutcome.Result.ABORTED, outcomes.get(1).result());
        assertEquals("1.0.0", current("srvb"));
        assertEquals(100, GenServer.call(others.get(0), atom("get")));
    }

    @Test
    public void noServerStartsOnTheVersionBeingLeftWhileAnUpgradeWithoutServersIsPrepared() throws Exception {
        ModuleVersion v1 = Modules.load(k, "srv", Srv.class, "1.0.0"); // no server runs it yet
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        ModuleUpgrade u = k.code().prepare(Modules.source("srv", Srv.class, "2.0.0"));
        java.util.concurrent.CompletableFuture<Pid> started = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> k.servers().start(null, "srv", counter.getName(), 7, false));
        try {
            started.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            fail("a server started on 1.0.0 while the upgrade to 2.0.0 was prepared");
        } catch (java.util.concurrent.TimeoutException expected) {
            // it waits for the upgrade's end
        }
        UpgradeOutcome o = u.commit();
        Pid p = started.get(WAIT, java.util.concurrent.TimeUnit.SECONDS);
        assertSame("started on the version the upgrade made current", o.to(), ((hotcode.runtime.impl.process.Proc) p).topVersion());
    }

    @Test
    public void theSameRevisionAgainIsUnchanged() {
        hotcode.runtime.impl.code.ModuleSource src = Modules.source("m", Srv.class, "1.0.0");
        assertEquals(UpgradeOutcome.Result.COMMITTED, k.code().upgrade(src).result());
        UpgradeOutcome again = k.code().upgrade(src);
        assertEquals(UpgradeOutcome.Result.UNCHANGED, again.result());
        assertEquals("1.0.0", current("m"));
    }

    /**
     * The code server's listeners (the OSGi boundary posts what they hear to EventAdmin) hear of each load, rollback
     * and purge once it is done, with the versions on both sides.
     */
    @Test
    public void listenersHearOfLoadsRollbacksAndPurges() throws Exception {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<HotcodeException> causes = new java.util.concurrent.CopyOnWriteArrayList<>();
        k.code().addListener(new CodeServerImpl.Listener() {
            @Override
            public void loaded(UpgradeOutcome o) {
                heard.add("loaded " + o.module() + " " + o.to().version() + (o.from() == null ? "" : " over " + o.from().version()));
            }

            @Override
            public void rolledBack(UpgradeOutcome o) {
                heard.add("rolled back " + o.module() + " " + o.to().version() + ", " + o.from().version() + " stays");
                causes.add(o.cause());
            }

            @Override
            public void purged(ModuleVersion old, hotcode.runtime.api.PurgeResult r) {
                heard.add("purged " + r.module() + " " + old.version() + ", killed " + r.killed().size());
            }
        });
        serversOf("srv", "ok");
        k.code().prepare(Modules.source("srv", Srv.class, "2.0.0")).abort(new HotcodeException("the release was cancelled"));
        k.code().prepare(Modules.source("srv", Srv.class, "3.0.0")).commit();
        k.code().purge("srv");
        assertEquals(List.of("loaded srv 1.0.0", "rolled back srv 2.0.0, 1.0.0 stays", "loaded srv 3.0.0 over 1.0.0",
                "purged srv 1.0.0, killed 0"), heard);
        assertTrue(causes.toString(), causes.get(0).getMessage().contains("the release was cancelled"));
    }
}
