package hotcode.itest.examples;

import static hotcode.itest.examples.KvExample.AUDIT;
import static hotcode.itest.examples.KvExample.MODULE;
import static hotcode.itest.examples.KvExample.PAUSE;
import static hotcode.itest.examples.KvExample.PAUSED;
import static hotcode.itest.examples.KvExample.PING;
import static hotcode.itest.examples.KvExample.PONG;
import static hotcode.itest.examples.KvExample.REPORT;
import static hotcode.itest.examples.KvExample.RESUME;
import static hotcode.itest.examples.KvExample.SERVER;
import static hotcode.itest.examples.KvExample.SLEEP;
import static hotcode.itest.examples.KvExample.SLEEPING;
import static hotcode.itest.examples.KvExample.WROTE;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Set;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import hotcode.itest.HotcodeOptions;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.PurgeResult;
import hotcode.testing.DeadLetters;
import hotcode.testing.Inbox;
import hotcode.testing.Modules;

/**
 * A migrate purge of the kv example's old code ({@code CodeServer.purge(kv, MIGRATE)}) after 1.0.0 → 2.0.0. Plain
 * processes parked in receive at the start of a step entered by a qualified call move to 2.0.0 (same pid, mailbox
 * kept: messages sent to them before the purge are all handled afterwards, in order, by 2.0.0): an audit worker paused
 * with a backlog, and the supervisor's idle audit worker. A process caught mid-execution in 1.0.0 (sleeping inside a
 * 1.0.0 function) is killed. The result lists both.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KvMigratePurgeIT {
    private static final int PINGS = 5;

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void parkedProcessesMoveBusyOnesAreKilled() throws Exception {
        Bundle kv = KvExample.installV1();
        KvExample.startSupervisor();
        Pid server = KvExample.whereis(SERVER);
        Pid idle = KvExample.whereis(AUDIT);
        Inbox inbox = Inbox.open();

        // parked: an audit worker paused (kv:paused, entered by a qualified call, waits for resume only)
        Pid parked = Hotcode.spawn(MODULE, "audit", 0L);
        Hotcode.send(parked, tuple(PAUSE, inbox.pid()));
        assertEquals(tuple(PAUSED, "1.0.0", parked), inbox.next());
        // busy: an audit worker sleeping inside 1.0.0's audit function
        Pid busy = Hotcode.spawn(MODULE, "audit", 0L);
        Hotcode.send(busy, tuple(SLEEP, 600_000L, inbox.pid()));
        assertEquals(tuple(SLEEPING, "1.0.0", busy), inbox.next());
        Inbox.Monitor parkedDown = new Inbox.Monitor(parked);
        Inbox.Monitor busyDown = new Inbox.Monitor(busy);

        // the parked worker's backlog, sent before the update and the purge: it stays queued behind 'resume'
        for (int i = 1; i <= PINGS; i++) {
            Hotcode.send(parked, tuple(WROTE, "key" + i));
            Hotcode.send(parked, tuple(PING, i, inbox.pid()));
        }
        Hotcode.send(parked, tuple(REPORT, inbox.pid()));
        DeadLetters deadLetters = DeadLetters.mark();

        KvExample.update(kv, KvExample.V2);
        assertEquals("2.0.0", Modules.currentVersion(MODULE));
        for (Pid p : List.of(parked, busy, idle)) {
            assertTrue(p + " runs 1.0.0 before the purge", Modules.code().checkProcessCode(p, MODULE));
        }
        assertFalse("the server was migrated by the update already", Modules.code().checkProcessCode(server, MODULE));

        long t0 = System.nanoTime();
        PurgeResult r = Modules.code().purge(MODULE, PurgeMode.MIGRATE);
        long t1 = System.nanoTime();
        System.out.printf("[KvMigratePurgeIT] migrate purge took %.1f ms: %s%n", (t1 - t0) / 1e6, r);
        assertTrue(r.purged());
        assertEquals("moved: the parked processes", Set.of(parked, idle), Set.copyOf(r.migrated()));
        assertEquals("killed: the one mid-execution in 1.0.0", List.of(busy), r.killed());
        assertEquals(List.of(), r.blockers());
        assertEquals(Hotcode.KILLED, busyDown.awaitDown());
        assertTrue(Hotcode.isAlive(parked));
        assertTrue(Hotcode.isAlive(idle));
        for (Pid p : List.of(parked, idle)) {
            assertFalse(p + " runs no old code", Modules.code().checkProcessCode(p, MODULE));
        }
        ModuleInfo info = Modules.which(MODULE);
        assertTrue("no old code left: " + info, info.old().isEmpty());

        // the parked worker still waits for resume, now in 2.0.0; then it serves its whole backlog, in order
        Hotcode.send(parked, RESUME);
        for (int i = 1; i <= PINGS; i++) {
            assertEquals("ping " + i + " answered by 2.0.0, by the same process", tuple(PONG, i, "2.0.0", parked),
                    inbox.next());
        }
        assertEquals("all " + PINGS + " writes queued before the purge were counted, then the report",
                tuple(REPORT, "2.0.0", parked, (long) PINGS), inbox.next());
        assertEquals("the idle supervisor child moved too, under its name", idle, Hotcode.whereis(AUDIT));
        Hotcode.send(idle, tuple(REPORT, inbox.pid()));
        assertEquals(tuple(REPORT, "2.0.0", idle, 0L), inbox.next());
        assertEquals(server, Hotcode.whereis(SERVER));
        assertEquals("2.0.0", KvExample.call(KvExample.VSN));
        inbox.assertNoMore(200); // in particular no {slept, ...}: the busy worker died in its sleep
        deadLetters.assertNone();
        Hotcode.exit(parked, Hotcode.KILL);
        parkedDown.awaitDown();
    }
}
