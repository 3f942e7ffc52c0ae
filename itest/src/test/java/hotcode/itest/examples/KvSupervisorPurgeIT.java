package hotcode.itest.examples;

import static hotcode.itest.examples.KvExample.AUDIT;
import static hotcode.itest.examples.KvExample.MODULE;
import static hotcode.itest.examples.KvExample.NONE;
import static hotcode.itest.examples.KvExample.OK;
import static hotcode.itest.examples.KvExample.REPORT;
import static hotcode.itest.examples.KvExample.SERVER;
import static hotcode.itest.examples.KvExample.SUPERVISOR;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
import hotcode.runtime.api.PurgeResult;
import hotcode.testing.Await;
import hotcode.testing.DeadLetters;
import hotcode.testing.Inbox;
import hotcode.testing.Modules;

/**
 * The kv example's supervisor across upgrades and purges. Its server child is migrated on each update (same pid, state
 * carried over); its worker child, a plain process idle in old code, is killed when the old code is purged (by a
 * bundle refresh, then by {@code CodeServer.purge}) and restarted by the supervisor under the same registered name,
 * on the current version.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KvSupervisorPurgeIT {
    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void purgedWorkerIsRestartedUnderItsNameServerIsMigrated() throws Exception {
        Bundle kv = KvExample.installV1();
        KvExample.startSupervisor();
        Pid supervisor = KvExample.whereis(SUPERVISOR);
        Pid server = KvExample.whereis(SERVER);
        Pid worker = KvExample.whereis(AUDIT);
        Map<String, String> data = new TreeMap<>(Map.of("apple", "red", "pear", "green"));
        data.forEach(KvExample::put);
        Inbox inbox = Inbox.open();
        assertEquals(report("1.0.0", worker, 2), ask(worker, inbox));
        DeadLetters deadLetters = DeadLetters.mark();

        // 1.0.0 -> 2.0.0: the server migrates at once; the worker, idle in 1.0.0's receive, stays on old code
        KvExample.update(kv, KvExample.V2);
        assertEquals("2.0.0", Modules.currentVersion(MODULE));
        assertEquals(KvExample.v2State(KvExample.migrated(data), 0), KvExample.state());
        assertEquals("2.0.0", KvExample.call(KvExample.VSN));
        assertFalse("the server runs 2.0.0", Modules.code().checkProcessCode(server, MODULE));
        assertTrue("the idle worker still runs 1.0.0", Modules.code().checkProcessCode(worker, MODULE));

        // refresh = purge of 1.0.0: the worker is killed and restarted under its name on 2.0.0
        Inbox.Monitor workerDown = new Inbox.Monitor(worker);
        Modules.refreshAndAwaitPurge(kv);
        assertEquals("the purge killed the worker", Hotcode.KILLED, workerDown.awaitDown());
        Pid worker2 = restarted(worker);
        assertFalse(Modules.code().checkProcessCode(worker2, MODULE));
        assertEquals("the restarted worker runs 2.0.0, from scratch", report("2.0.0", worker2, 0), ask(worker2, inbox));
        assertEquals("the server was not restarted", server, Hotcode.whereis(SERVER));
        assertEquals(supervisor, Hotcode.whereis(SUPERVISOR));
        assertEquals("the server keeps serving after the refresh", tuple(OK, "red", 2), KvExample.put("apple", "yellow"));
        assertEquals(report("2.0.0", worker2, 1), ask(worker2, inbox));
        ModuleInfo info = Modules.which(MODULE);
        assertTrue("no old code after the refresh: " + info, info.old().isEmpty());
        assertEquals("server and worker run 2.0.0", 2, info.current().orElseThrow().processes());

        // 2.0.0 -> 3.0.0, then CodeServer.purge: the same again, without a refresh
        KvExample.update(kv, KvExample.V3);
        assertTrue(Modules.code().checkProcessCode(worker2, MODULE));
        assertFalse(Modules.code().checkProcessCode(server, MODULE));
        Inbox.Monitor worker2Down = new Inbox.Monitor(worker2);
        PurgeResult purge = Modules.code().purge(MODULE);
        assertTrue(purge.purged());
        assertEquals("the purge killed exactly the idle worker", List.of(worker2), purge.killed());
        assertEquals(Hotcode.KILLED, worker2Down.awaitDown());
        Pid worker3 = restarted(worker2);
        assertEquals(report("3.0.0", worker3, 0), ask(worker3, inbox));
        assertEquals("the server was migrated again, not restarted", server, Hotcode.whereis(SERVER));
        assertEquals(KvExample.v3State(Map.of("apple", KvExample.entry("yellow", 2), "pear", KvExample.entry("green", 1)),
                1, 0), KvExample.state());
        assertEquals(NONE, KvExample.call(tuple(KvExample.GET, "plum")));
        assertEquals("3.0.0", KvExample.call(KvExample.VSN));
        assertEquals(supervisor, Hotcode.whereis(SUPERVISOR));
        assertTrue(Hotcode.isAlive(supervisor));
        deadLetters.assertNone();
    }

    /** The worker registered under kv_audit once the supervisor has restarted it after {@code old} died. */
    private static Pid restarted(Pid old) throws InterruptedException {
        Await.until("the supervisor to restart " + AUDIT, () -> {
            Pid p = Hotcode.whereis(AUDIT);
            return p != null && !p.equals(old);
        });
        Pid p = Hotcode.whereis(AUDIT);
        assertNotEquals(old, p);
        assertFalse(Hotcode.isAlive(old));
        return p;
    }

    private static Object ask(Pid worker, Inbox inbox) {
        Hotcode.send(worker, tuple(REPORT, inbox.pid()));
        return inbox.next();
    }

    private static Object report(String vsn, Pid worker, long writes) {
        return tuple(REPORT, vsn, worker, writes);
    }
}
