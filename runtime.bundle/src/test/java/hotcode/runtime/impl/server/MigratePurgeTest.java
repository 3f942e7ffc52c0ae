package hotcode.runtime.impl.server;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Before;
import org.junit.Test;

import java.util.List;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/** The migrate purge: processes parked in receive move to the current version; those mid-execution are killed. */
public class MigratePurgeTest extends KernelTest {
    private ModuleVersion v1;

    @Before
    public void load() {
        v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
    }

    @Test
    public void aProcessParkedInReceiveMovesWithItsMailboxAndOneMidExecutionIsKilled() throws Exception {
        Pid waiter = Hotcode.spawn("srv", "selective", "t");
        Pid sleeper = Hotcode.spawn("srv", "sleeper", 30_000);
        Agent a = Agent.spawn();
        Pid sender = Hotcode.spawn("srv", "sender", a.pid());
        for (String m : List.of("a", "b", "c")) {
            Hotcode.send(waiter, m); // not {go, _}: they wait in its mailbox
        }
        a.receive(atom("hello"));
        Thread.sleep(50); // all three are parked (or sleeping) in v1's code
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        PurgeResult r = k.codeServer().purge("srv", PurgeMode.MIGRATE);
        assertTrue(r.purged());
        assertEquals(List.of(waiter), r.migrated());
        assertTrue(r.killed().containsAll(List.of(sleeper, sender)) && r.killed().size() == 2);
        assertSame(v2, ((Proc) waiter).topVersion());
        Hotcode.send(waiter, Tuple.of(atom("go"), a.pid()));
        for (String m : List.of("a", "b", "c")) {
            assertEquals(Tuple.of("t", m, "2.0.0"), a.receive(Tuple.of("t", Hotcode.ANY, Hotcode.ANY)));
        }
        assertEquals(Tuple.of("t", atom("done"), "-"), a.receive(Tuple.of("t", Hotcode.ANY, Hotcode.ANY)));
        assertTrue(Hotcode.isAlive(waiter));
        assertFalse(Hotcode.isAlive(sleeper));
    }

    @Test
    public void anIdleServerOnOldCodeIsMigratedAndOneInACallbackIsKilled() throws Exception {
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        // servers on old code: an upgrade migrates every server it knows, so make two the way a race with a start could
        Pid idle = serverOn(v1, counter, 41);
        Pid busy = serverOn(v1, counter, 1);
        assertSame(v1, ((Proc) idle).topVersion());
        Thread t = new Thread(() -> {
            try {
                GenServer.call(busy, Tuple.of(atom("sleep"), 30_000), java.time.Duration.ofSeconds(60));
            } catch (RuntimeException expected) {
                // it is killed by the purge
            }
        });
        t.start();
        Thread.sleep(100);
        Sys.suspend(idle);
        GenServer.cast(idle, "kept"); // waits in the mailbox of the suspended server, across the move
        PurgeResult r = k.codeServer().purge("srv", PurgeMode.MIGRATE);
        assertEquals(List.of(idle), r.migrated());
        assertEquals(List.of(busy), r.killed());
        assertSame(v2, ((Proc) idle).topVersion());
        Sys.resume(idle);
        assertEquals(41, GenServer.call(idle, atom("get")));
        assertEquals(List.of("upgraded from 1.0.0", "kept"), Records.fields(Sys.getState(idle)).get("log"));
        assertSame(v2.loader(), Sys.getState(idle).getClass().getClassLoader());
        t.join(WAIT * 1000);
    }

    private Pid serverOn(ModuleVersion v, Class<?> type, Object arg) throws Exception {
        ServerProcess sp = new ServerProcess(k.servers(), "srv", type, null, arg, null, v);
        sp.attach(k.processes().spawn(sp, v, "server", null, sp));
        sp.started.get();
        return sp.proc();
    }

    @Test
    public void aProcessWhoseStepTimedOutOrLoopedLocallyIsKilledNotMoved() throws Exception {
        Pid ticker = Hotcode.spawn("srv", "ticker", 0);
        Thread.sleep(50); // several timeouts, each followed by a local tail call
        Modules.load(k, "srv", Srv.class, "2.0.0");
        PurgeResult r = k.codeServer().purge("srv", PurgeMode.MIGRATE);
        assertEquals(List.of(), r.migrated());
        assertEquals(List.of(ticker), r.killed());
    }

    @Test
    public void oneFailingMigrationKillsOnlyThatServer() throws Exception {
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Class<?> state = v1.loader().loadClass(Srv.State.class.getName());
        ModuleVersion v2 = Modules.load(k, "srv", Srv.class, "2.0.0");
        Pid bad = serverOn(v1, counter, Records.convert(java.util.Map.of("n", 1, "log", List.of(), "upgrade", "throw"), state));
        Pid good1 = serverOn(v1, counter, 2);
        Pid good2 = serverOn(v1, counter, 3);
        PurgeResult r = k.codeServer().purge("srv", PurgeMode.MIGRATE);
        assertEquals(java.util.Set.of(good1, good2), java.util.Set.copyOf(r.migrated()));
        assertEquals(List.of(bad), r.killed());
        assertSame(v2, ((Proc) good2).topVersion());
        assertEquals(3, GenServer.call(good2, atom("get")));
    }

    @Test
    public void aCastOfAnObjectOfAnotherVersionIsRefusedAsADeadLetter() throws Exception {
        List<hotcode.runtime.api.DeadLetter> dead = new java.util.concurrent.CopyOnWriteArrayList<>();
        Hotcode.subscribeDeadLetters(dead::add);
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Object v1State = Records.convert(java.util.Map.of("n", 1, "log", List.of(), "upgrade", "ok"),
                v1.loader().loadClass(Srv.State.class.getName()));
        Pid s = GenServer.start(counter, 5);
        Modules.load(k, "srv", Srv.class, "2.0.0"); // the server now runs v2
        GenServer.cast(s, v1State);
        assertEquals(5, GenServer.call(s, atom("get")));
        assertTrue(dead.stream().anyMatch(d -> d.message() == v1State && d.reason() == atom("incompatible")));
    }
}
