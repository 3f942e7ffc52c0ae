package hotcode.itest.examples;

import static hotcode.itest.Itest.assertThrows;
import static hotcode.itest.examples.KvExample.APPEND;
import static hotcode.itest.examples.KvExample.GET;
import static hotcode.itest.examples.KvExample.MODULE;
import static hotcode.itest.examples.KvExample.SERVER;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Version;

import hotcode.itest.HotcodeOptions;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.VersionInfo;
import hotcode.testing.Await;
import hotcode.testing.DeadLetters;
import hotcode.testing.Modules;

/**
 * The kv example's broken release (2.1.0, whose codeChange throws) loaded over a 1.0.0 server that holds a known
 * state and, suspended, a known backlog of casts: the upgrade is rolled back. The server stays on 1.0.0 with exactly
 * its state, the load fails with a {@link MigrationException} naming module, pid and cause, and after
 * {@link Sys#resume} the backlog is served in order. Then the bundle is back on its 1.0.0 jar, and the fixed 3.0.0
 * upgrades cleanly from 1.0.0.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class KvRollbackIT {
    /** Casts queued while the server is suspended. */
    private static final int BACKLOG = 50;
    private static final Map<String, String> DATA = new TreeMap<>(Map.of("apple", "red", "pear", "green"));

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void brokenUpgradeIsRolledBackWithStateAndBacklog() throws Exception {
        Setup s = rolledBack(null);

        Sys.resume(SERVER);
        assertEquals("after resume, the backlog is served in order, none lost or duplicated",
                s.backlog, GenServer.call(SERVER, tuple(GET, "log")));
        Map<String, String> after = new TreeMap<>(DATA);
        after.put("log", s.backlog);
        assertEquals(KvExample.v1State(after), KvExample.state());
        assertEquals("1.0.0", KvExample.call(KvExample.VSN));
        assertEquals(s.server, Hotcode.whereis(SERVER));
        s.deadLetters.assertNone();
    }

    /**
     * The second half of the rollback: the bundle itself returns to its 1.0.0 jar (asynchronously, a few ms after the
     * load failed), and the fixed 3.0.0 then upgrades the same server from 1.0.0.
     */
    @Test
    public void bundleIsRestoredThenFixedVersionUpgrades() throws Exception {
        // two STARTED events follow the load: 2.1.0's own start, then the restored 1.0.0's. The listener is
        // asynchronous: it gets an event after the runtime's synchronous listener has handled it.
        CountDownLatch restored = new CountDownLatch(2);
        BundleListener listener = e -> {
            if (e.getType() == BundleEvent.STARTED && e.getBundle().getSymbolicName().equals(KvExample.BSN)) {
                restored.countDown();
            }
        };
        Setup s;
        try {
            s = rolledBack(listener);
            assertTrue("the bundle was restored to its 1.0.0 jar within " + Await.timeoutSeconds() + " s",
                    restored.await(Await.timeoutSeconds(), TimeUnit.SECONDS));
        } finally {
            Modules.context().removeBundleListener(listener);
        }
        System.out.printf("[KvRollbackIT] the restored bundle had started %.1f ms after the failed load began%n",
                (System.nanoTime() - s.loadStartNanos) / 1e6);
        assertEquals(Version.parseVersion("1.0.0"), s.kv.getVersion());
        assertEquals(Bundle.ACTIVE, s.kv.getState());

        VersionInfo v3 = Modules.code().load(MODULE, HotcodeOptions.url(KvExample.V3));
        assertEquals("3.0.0", v3.version());
        assertEquals(Version.parseVersion("3.0.0"), s.kv.getVersion());
        assertEquals("the suspended server was migrated too: 1.0.0's state in 3.0.0's shape",
                KvExample.v3State(KvExample.migrated(DATA), 0, 0), KvExample.state());
        Sys.resume(SERVER);
        assertEquals(s.backlog, GenServer.call(SERVER, tuple(GET, "log")));
        assertEquals("3.0.0", KvExample.call(KvExample.VSN));
        assertEquals("the same server process, now on 3.0.0", s.server, Hotcode.whereis(SERVER));
        assertFalse(Modules.code().checkProcessCode(s.server, MODULE));
    }

    /** What {@link #rolledBack} leaves: the bundle, the server (still suspended), the backlog's expected value. */
    private record Setup(Bundle kv, Pid server, String backlog, DeadLetters deadLetters, long loadStartNanos) {
    }

    /**
     * kv 1.0.0 with {@link #DATA}, suspended with {@link #BACKLOG} casts queued; 2.1.0 loaded over it and rolled back.
     * Checks the rollback: the error, the state, the versions. {@code listener}, if any, is added just before the load
     * (so it sees no earlier event; the caller removes it).
     */
    private static Setup rolledBack(BundleListener listener) throws Exception {
        Bundle kv = KvExample.installV1();
        KvExample.startSupervisor();
        Pid server = KvExample.whereis(SERVER);
        DATA.forEach(KvExample::put);
        Object before = KvExample.state();
        assertEquals(KvExample.v1State(DATA), before);
        DeadLetters deadLetters = DeadLetters.mark();

        Sys.suspend(SERVER);
        StringJoiner backlog = new StringJoiner(",");
        for (int i = 1; i <= BACKLOG; i++) {
            GenServer.cast(SERVER, tuple(APPEND, "log", String.valueOf(i)));
            backlog.add(String.valueOf(i));
        }

        if (listener != null) {
            Modules.context().addBundleListener(listener);
        }
        long t0 = System.nanoTime();
        MigrationException e = assertThrows(MigrationException.class,
                () -> Modules.code().load(MODULE, HotcodeOptions.url(KvExample.V2_BROKEN)));
        long t1 = System.nanoTime();
        System.out.printf("[KvRollbackIT] load of 2.1.0 failed and was rolled back in %.1f ms: %s%n", (t1 - t0) / 1e6,
                e.getMessage());
        String m = e.getMessage();
        assertTrue("names the module: " + m, m.startsWith(MODULE + ": "));
        assertTrue("names both versions: " + m, m.contains("1.0.0") && m.contains("2.1.0"));
        assertTrue("names the pid: " + m, m.contains(server.toString()));
        assertTrue("names the callback: " + m, m.contains("codeChange"));
        assertEquals(server, e.pid());
        assertNotNull("carries the cause", e.getCause());
        assertTrue("names the cause: " + m, m.contains(e.getCause().toString()));
        assertTrue("the cause is 2.1.0's bug, Records.convert of a 1.0.0 value: " + e.getCause(),
                e.getCause().getMessage().startsWith("Records.convert:"));

        ModuleInfo info = Modules.which(MODULE);
        assertEquals("1.0.0 stays current", "1.0.0", info.current().orElseThrow().version());
        assertTrue("and nothing is old: " + info, info.old().isEmpty());
        assertEquals("the suspended server kept exactly its state (its backlog not served yet)", before, KvExample.state());
        assertEquals(server, Hotcode.whereis(SERVER));
        assertTrue(Hotcode.isAlive(server));
        assertFalse(Modules.code().checkProcessCode(server, MODULE));
        return new Setup(kv, server, backlog.toString(), deadLetters, t0);
    }
}
