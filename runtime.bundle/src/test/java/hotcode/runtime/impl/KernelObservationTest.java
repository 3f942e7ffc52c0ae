package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.CodeEvent;
import hotcode.runtime.spi.Observation.ProcessRow;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** The observer's view of a kernel ({@link Observation}): rows, totals, one process, the code-event timeline. */
public class KernelObservationTest extends KernelTest {
    private Observation obs() {
        return Access.get().observation();
    }

    private ProcessRow row(Pid pid, int cap) {
        return obs().processes(cap).stream().filter(r -> r.pid().equals(pid.toString())).findFirst().orElse(null);
    }

    @Test(timeout = 60_000)
    public void aRowNamesModuleVersionMailboxNameAndOldCode() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        Hotcode.register("parked_one", p);
        assertEquals("parked", ask(p, "park"));
        for (int i = 0; i < 5; i++) {
            Hotcode.send(p, "q" + i);
        }
        ProcessRow r = row(p, 1000);
        assertNotNull("a row for " + p, r);
        assertEquals("m", r.module());
        assertEquals("1.0.0", r.version());
        assertEquals("parked_one", r.name());
        assertEquals(5, r.mailbox());
        assertFalse(r.oldCode());
        assertTrue(r.function(), r.function().startsWith("m:loop"));

        ProcessRow onlyMailbox = obs().processes(1000, java.util.EnumSet.of(Observation.Column.MAILBOX)).stream()
                .filter(x -> x.pid().equals(p.toString())).findFirst().orElseThrow();
        assertEquals(5, onlyMailbox.mailbox());
        assertNull("a column not asked for is not read", onlyMailbox.module());
        ProcessRow whole = obs().row(r.id(), 1000); // read again: its status may have moved on meanwhile
        assertEquals(List.of(r.name(), r.module(), r.version(), r.function()),
                List.of(whole.name(), whole.module(), whole.version(), whole.function()));
        assertEquals(5, whole.mailbox());
        assertEquals("the first messages, oldest first", List.of("q0", "q1", "q2"), obs().messages(r.id(), 3));
        assertEquals("reading them took none", 5, obs().row(r.id(), 1000).mailbox());
        assertNull(obs().messages(987_654, 3));

        Modules.load(k, "m", Mod.class, "2.0.0");
        assertTrue("after the load, " + p + " runs old code", row(p, 10).oldCode());
        assertEquals(p.toString(), obs().process(Long.parseLong(p.toString().split("\\.")[1])).row().pid());
    }

    @Test(timeout = 60_000)
    public void unknownAndExitedProcessesAreNull() throws Exception {
        assertNull(obs().process(987_654));
        assertNull(obs().pid(987_654));
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        long id = Long.parseLong(p.toString().split("\\.")[1]);
        assertNotNull(obs().pid(id));
        Hotcode.exit(p, Hotcode.KILL);
        assertTrue(k.processes().awaitExit(p, TimeUnit.SECONDS.toMillis(WAIT)));
        assertNull(obs().process(id));
        assertNull(obs().pid(id));
    }

    @Test(timeout = 60_000)
    public void totalsCountEffectsBetweenCallsSpawnsAndDeadLettersByReason() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        Observation.Totals before = obs().totals(); // the base
        for (int i = 0; i < 10; i++) {
            assertEquals("v1", ask(p, "local")); // each: one message taken
        }
        Observation.Totals after = obs().totals();
        assertTrue("10 messages taken: " + (after.effects() - before.effects()),
                after.effects() - before.effects() >= 10);
        assertEquals(1, after.processes());
        assertEquals(1, after.spawned());

        Hotcode.exit(p, Hotcode.KILL);
        assertTrue(k.processes().awaitExit(p, TimeUnit.SECONDS.toMillis(WAIT)));
        Hotcode.send(p, "too late");
        Observation.Totals dead = obs().totals();
        assertEquals(0, dead.processes());
        assertEquals(1L, (long) dead.deadLettersByReason().get("noproc"));
        assertTrue("an exit takes no counts away", dead.effects() >= after.effects());
    }

    @Test(timeout = 60_000)
    public void theTimelineHasLoadsAndPurgesInOrder() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid onOld = Hotcode.spawn("m", "loop", out);
        assertEquals("parked", ask(onOld, "park"));
        Modules.load(k, "m", Mod.class, "2.0.0");
        k.code().purge("m");

        List<CodeEvent> events = obs().codeEvents(0);
        assertEquals(List.of("loaded", "loaded", "purged"), events.stream().map(CodeEvent::kind).toList());
        CodeEvent second = events.get(1);
        assertTrue(second.from(), second.from().startsWith("m 1.0.0"));
        assertTrue(second.to(), second.to().startsWith("m 2.0.0"));
        CodeEvent purge = events.get(2);
        assertEquals(1, purge.servers());
        assertTrue("the purge's duration: " + purge.micros(), purge.micros() >= 0);
        assertTrue(purge.detail(), purge.detail().contains(onOld.toString()));
        assertEquals(List.of(purge), obs().codeEvents(second.seq()));
    }

    /** A migrating purge's timeline entry says how many processes it moved to the current version, and which. */
    @Test(timeout = 60_000)
    public void aMigratingPurgeNamesTheProcessesItMoved() throws Exception {
        Modules.load(k, "srv", hotcode.runtime.testmod.Srv.class, "1.0.0");
        Pid waiter = Hotcode.spawn("srv", "selective", "t");
        long id = Long.parseLong(waiter.toString().split("\\.")[1]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!"waiting".equals(obs().row(id, 10).status()) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals("parked in its receive", "waiting", obs().row(id, 10).status());
        Modules.load(k, "srv", hotcode.runtime.testmod.Srv.class, "2.0.0");
        assertEquals(List.of(waiter), k.codeServer().purge("srv", hotcode.runtime.api.PurgeMode.MIGRATE).migrated());
        List<CodeEvent> events = obs().codeEvents(0);
        CodeEvent purge = events.get(events.size() - 1);
        assertEquals("purged", purge.kind());
        assertEquals("none killed", 0, purge.servers());
        assertEquals("migrated 1 to the current version: " + waiter, purge.detail());
        assertTrue(purge.micros() >= 0);
    }
}
