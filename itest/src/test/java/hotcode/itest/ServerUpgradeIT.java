package hotcode.itest;

import static hotcode.itest.Itest.await;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Sys;

/**
 * Servers across bundle updates on real Felix: 1,000 servers of one module; a v2 whose codeChange fails for the
 * 500th rolls every server back with its state and mailbox, and the bundle back to its 1.0.0 jar; the restored bundle
 * survives a refresh; the fixed version then upgrades every server; a version without the server class rolls back.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServerUpgradeIT {
    static final String ENTRY = "hotcode.itest.counter.Counter";
    static final int N = 1000;

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options(frameworkProperty("hotcode.migration.timeout.ms").value("3000"));
    }

    @After
    public void clearFailure() {
        System.clearProperty("hotcode.itest.failOn");
    }

    private static TestModules.Spec version(String module, String version, String... sets) {
        return TestModules.module("hotcode.itest." + module, version).module(module, ENTRY).classes(sets);
    }

    private static List<Pid> start(String module, int failAt) {
        List<Pid> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            out.add((Pid) Hotcode.call(module, "start", i, i == failAt ? "throw" : "ok"));
        }
        return out;
    }

    private static void awaitBundleVersion(Bundle b, String version) throws InterruptedException {
        await("bundle " + b.getSymbolicName() + " back at " + version, () -> b.getVersion().equals(Version.parseVersion(version)));
    }

    @Test
    public void aFailedMigrationRollsBackServersAndBundleAndAFixedVersionThenUpgrades() throws Exception {
        Bundle b = version("counter", "1.0.0", "counter-entry", "counter-v1").start(context());
        List<Pid> servers = start("counter", 500);
        Pid first = servers.get(0);
        Sys.suspend(first);
        for (int i = 0; i < 20; i++) {
            GenServer.cast(first, "m" + i);
        }

        System.setProperty("hotcode.itest.failOn", "throw");
        version("counter", "2.0.0", "counter-entry", "counter-v2").updateOf(b);
        assertEquals("1.0.0", currentVersion("counter"));
        awaitBundleVersion(b, "1.0.0");
        for (int i = 1; i < N; i++) { // the first is suspended: it answers after resume
            assertEquals("v1", GenServer.call(servers.get(i), "shape"));
            assertEquals(i, GenServer.call(servers.get(i), "get"));
        }

        // the same through CodeServer.load: the error names module, pid and cause
        Path jar = Files.createTempFile("counter-2.0.0", ".jar");
        Files.write(jar, version("counter", "2.0.0", "counter-entry", "counter-v2").bytes());
        try {
            code().load("counter", jar.toUri().toString());
            fail("the upgrade must roll back");
        } catch (MigrationException e) {
            assertEquals(servers.get(500), e.pid());
            assertTrue(e.getMessage(), e.getMessage().startsWith("counter: upgrade 1.0.0 -> 2.0.0 rolled back")
                    && e.getMessage().contains(servers.get(500).toString()) && e.getMessage().contains("refuses mode throw"));
        }
        awaitBundleVersion(b, "1.0.0");

        // the restored bundle goes through a refresh: the same version, re-bound, its servers untouched
        Itest.refresh(b);
        assertEquals("1.0.0", currentVersion("counter"));
        assertEquals(7, GenServer.call(servers.get(7), "get"));

        System.clearProperty("hotcode.itest.failOn");
        version("counter", "3.0.0", "counter-entry", "counter-v2").updateOf(b);
        assertEquals("3.0.0", currentVersion("counter"));
        for (int i = 1; i < N; i++) {
            assertEquals("v2 from 1.0.0", GenServer.call(servers.get(i), "shape"));
            assertEquals(i, GenServer.call(servers.get(i), "get"));
        }
        Sys.resume(first);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add("m" + i);
        }
        assertEquals("the suspended server's backlog, in order, after a rollback and an upgrade", expected,
                GenServer.call(first, "seen"));
        assertEquals("v2 from 1.0.0", GenServer.call(first, "shape"));

        Itest.refresh(b);
        for (Pid p : servers) {
            assertTrue("no server runs old code, so the purge killed none", Hotcode.isAlive(p));
        }
    }

    @Test
    public void aVersionWithoutTheServerClassRollsBack() throws Exception {
        Bundle b = version("nocls", "1.0.0", "counter-entry", "counter-v1").start(context());
        Pid s = (Pid) Hotcode.call("nocls", "start", 3, "ok");
        version("nocls", "2.0.0", "counter-entry").updateOf(b);
        assertEquals("1.0.0", currentVersion("nocls"));
        awaitBundleVersion(b, "1.0.0");
        assertEquals(3, GenServer.call(s, "get"));
        assertEquals("v1", GenServer.call(s, "shape"));
    }
}
