package hotcode.itest;

import static hotcode.itest.Itest.assertThrows;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.api.VersionInfo;
import hotcode.testing.Inbox;

/**
 * A module's life through the OSGi operations a user types (install, start, update, refresh, uninstall) mixed with
 * the code server's own (delete, purge, load), including the failures in between: the code server must always end
 * where Erlang's would, and say so when it does not load a version. Each case uses its own module.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ModuleLifecycleIT {

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    // ------------------------------------------------------------------ delete, then update or load

    /** Erlang: code:delete(M), then l(M) purges the deleted code and loads the new version. */
    @Test
    public void updateAfterADeleteLoadsTheNewVersion() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("delupdate");
        Pid p = e.spawnRunning("v1");
        assertTrue(code().delete(e.module));
        assertEquals("not_loaded", which(e.module).status());

        TestModules.module(e.bsn, "2.0.0").module(e.module, TestModules.ECHO_CLASS).classes(TestModules.ECHO_V2)
                .updateOf(e.bundle);

        ModuleInfo info = which(e.module);
        assertEquals("loaded", info.status());
        assertEquals("2.0.0", currentVersion(e.module));
        assertTrue("the deleted code was purged before the load: " + info, info.old().isEmpty());
        assertTrue("listed by modules(): " + code().modules(),
                code().modules().stream().anyMatch(m -> m.name().equals(e.module)));
        assertEquals("v2", Hotcode.call(e.module, "vsn"));
        Itest.awaitExit(p);
        assertEquals("v2", e.inbox.ask(e.spawn(), "local"));
    }

    /** Erlang: code:delete(M), code:purge(M), then code:load_abs loads the module again. */
    @Test
    public void loadAfterADeleteAndAPurgeLoadsTheModuleAgain() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("delpurgeload");
        e.spawnRunning("v1");
        assertTrue(code().delete(e.module));
        assertTrue(code().purge(e.module).purged());
        ModuleInfo gone = which(e.module);
        assertEquals("its bundle is still installed: not_loaded, as Erlang says of a module it can load", "not_loaded",
                gone.status());
        assertTrue(gone.current().isEmpty() && gone.old().isEmpty());
        assertThrows(UndefException.class, () -> Hotcode.call(e.module, "vsn"));

        VersionInfo loaded = code().load(e.module, CodeServerIT.jarFile(e.jar("2.0.0", TestModules.ECHO_V2)));
        assertEquals("2.0.0", loaded.version());
        assertEquals("loaded", which(e.module).status());
        assertEquals("v2", Hotcode.call(e.module, "vsn"));
    }

    // ------------------------------------------------------------------ refresh after a refused update

    /**
     * An update the runtime refuses (Felix starts it, the code server does not load it), a refresh, a good update and a
     * refresh: the second refresh purges the version the good update made old, as every refresh of a module bundle
     * purges, and its anchor goes. Once for each way a version is refused.
     */
    @Test
    public void refreshPurgesOldCodeAfterARefusedUpdate() throws Exception {
        List<String> failures = new ArrayList<>();
        String[] refusals = {"missingclass", "otherbsn", "staticinit", "overloaded"};
        for (String refusal : refusals) {
            try {
                refreshPurgesAfterRefused(refusal);
            } catch (AssertionError | Exception err) {
                failures.add(refusal + ": " + err);
            }
        }
        assertTrue("failed for " + failures, failures.isEmpty());
    }

    private static void refreshPurgesAfterRefused(String refusal) throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("rr" + refusal);
        List<Pid> procs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            procs.add(e.spawnRunning("v1"));
        }
        TestModules.Spec refused = switch (refusal) {
            case "missingclass" -> TestModules.module(e.bsn, "2.0.0").module(e.module, "hotcode.itest.mod.Missing")
                    .classes(TestModules.ECHO_V2);
            case "otherbsn" -> TestModules.module(e.bsn + ".other", "2.0.0").module(e.module, TestModules.ECHO_CLASS)
                    .classes(TestModules.ECHO_V2);
            case "staticinit" -> TestModules.module(e.bsn, "2.0.0").module(e.module, "hotcode.itest.bad.BadInit")
                    .classes(TestModules.ECHO_V2, TestModules.BAD_MODULES);
            case "overloaded" -> TestModules.module(e.bsn, "2.0.0").module(e.module, "hotcode.itest.bad.Overloaded")
                    .classes(TestModules.ECHO_V2, TestModules.BAD_MODULES);
            default -> throw new AssertionError(refusal);
        };
        refused.updateOf(e.bundle);
        assertEquals(Bundle.ACTIVE, e.bundle.getState());
        assertEquals("refused: 1.0.0 stays current", "1.0.0", currentVersion(e.module));
        Itest.refresh(e.bundle);
        assertEquals("1.0.0", currentVersion(e.module));

        e.update("3.0.0", TestModules.ECHO_V3);
        ModuleInfo before = which(e.module);
        assertEquals("1.0.0", before.old().orElseThrow().version());
        assertEquals(5, before.old().orElseThrow().processes());

        Itest.refresh(e.bundle);
        ModuleInfo after = which(e.module);
        assertTrue("the refresh purged 1.0.0: " + after, after.old().isEmpty());
        for (Pid p : procs) {
            Itest.awaitExit(p);
        }
        Itest.await("one anchor left for " + e.module + ", got " + anchors(e.module), () -> anchors(e.module).size() == 1);
        assertEquals("v3", Hotcode.call(e.module, "vsn"));
    }

    // ------------------------------------------------------------------ a good update after a failed start

    /**
     * A start that failed (an activator that throws, an import that does not resolve) leaves the bundle resolved or
     * installed, and Felix does not start a bundle it updates unless it was active. An update of a module bundle is
     * a load: the runtime starts it, so the good version is loaded, never silently ignored.
     */
    @Test
    public void goodUpdateAfterAFailedStartIsLoaded() throws Exception {
        CodeServerIT.Echo a = CodeServerIT.Echo.start("afteractivator");
        assertThrows(BundleException.class, () -> TestModules.module(a.bsn, "2.0.0")
                .module(a.module, TestModules.ECHO_CLASS).activator(TestModules.FAILING_ACTIVATOR_CLASS)
                .classes(TestModules.ECHO_V2, TestModules.FAILING_ACTIVATOR).updateOf(a.bundle));
        assertFalse(a.bundle.getState() == Bundle.ACTIVE);
        assertEquals("1.0.0", currentVersion(a.module));
        TestModules.module(a.bsn, "3.0.0").module(a.module, TestModules.ECHO_CLASS).classes(TestModules.ECHO_V3)
                .updateOf(a.bundle);
        Itest.await(a.module + " 3.0.0 loaded", () -> "3.0.0".equals(versionOrNull(a.module)));
        assertEquals(Bundle.ACTIVE, a.bundle.getState());
        assertEquals("v3", Hotcode.call(a.module, "vsn"));

        CodeServerIT.Echo i = CodeServerIT.Echo.start("afterimport");
        try {
            TestModules.module(i.bsn, "2.0.0").module(i.module, TestModules.ECHO_CLASS)
                    .manifest("Import-Package", "hotcode.runtime.api,hotcode.no.such.pkg").classes(TestModules.ECHO_V2)
                    .updateOf(i.bundle);
        } catch (BundleException expected) {
            // Felix may report the failed restart here or as a framework event: either way 2.0.0 is not loaded
        }
        assertFalse(i.bundle.getState() == Bundle.ACTIVE);
        assertEquals("1.0.0", currentVersion(i.module));
        TestModules.module(i.bsn, "3.0.0").module(i.module, TestModules.ECHO_CLASS).classes(TestModules.ECHO_V3)
                .updateOf(i.bundle);
        Itest.await(i.module + " 3.0.0 loaded", () -> "3.0.0".equals(versionOrNull(i.module)));
        assertEquals("v3", Hotcode.call(i.module, "vsn"));

        // stopped on purpose: the update leaves it stopped, loads nothing, and says so
        CodeServerIT.Echo s = CodeServerIT.Echo.start("afterstop");
        s.bundle.stop();
        String log = stderrDuring(() -> TestModules.module(s.bsn, "2.0.0").module(s.module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(s.bundle));
        assertFalse(s.bundle.getState() == Bundle.ACTIVE);
        assertEquals("1.0.0", currentVersion(s.module));
        assertTrue(log, log.contains("updated while stopped, so its new version is not loaded")
                && log.contains(s.module + " 1.0.0 stays current"));
    }

    // ------------------------------------------------------------------ a second bundle of the same symbolic name

    /** A module's versions are revisions of one bundle: another bundle of the same name is refused, naming the owner. */
    @Test
    public void secondBundleOfTheSameSymbolicNameIsRefused() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("twin");
        Pid p = e.spawnRunning("v1");
        String log = stderrDuring(() -> TestModules.module(e.bsn, "2.0.0").module(e.module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).start(context()));
        ModuleInfo info = which(e.module);
        assertEquals("1.0.0", currentVersion(e.module));
        assertTrue("nothing became old: " + info, info.old().isEmpty());
        assertEquals(e.bundle.getBundleId(), info.current().orElseThrow().bundleId());
        assertEquals("v1", Hotcode.call(e.module, "vsn"));
        assertEquals("v1", e.inbox.ask(p, "qualified"));
        assertFalse(code().checkProcessCode(p, e.module));
        assertTrue("the refusal names the owning bundle [" + e.bundle.getBundleId() + "]: " + log,
                log.contains(e.module) && log.contains("[" + e.bundle.getBundleId() + "]"));
    }

    // ------------------------------------------------------------------ unknown modules

    /** Erlang: purge of an unknown module is false, soft_purge true, delete false, which non_existing. */
    @Test
    public void unknownModulesAnswerAsInErlang() {
        assertEquals(new PurgeResult("nosuchmod", false, List.of(), List.of()), code().purge("nosuchmod"));
        assertTrue(code().softPurge("nosuchmod").purged());
        assertFalse(code().delete("nosuchmod"));
        assertTrue(code().which("nosuchmod").isEmpty());
        assertFalse(code().isLoaded("nosuchmod"));
        assertFalse(code().checkProcessCode(Inbox.open().pid(), "nosuchmod"));
    }

    // ------------------------------------------------------------------ helpers

    private static String versionOrNull(String module) {
        return code().which(module).flatMap(ModuleInfo::current).map(VersionInfo::version).orElse(null);
    }

    static List<Bundle> anchors(String module) {
        return Arrays.stream(context().getBundles())
                .filter(b -> b.getState() != Bundle.UNINSTALLED && b.getSymbolicName() != null
                        && b.getSymbolicName().startsWith("hotcode.anchor." + module + "."))
                .toList();
    }

    /** What the runtime wrote to standard error while {@code action} ran (and on to the console as usual). */
    static String stderrDuring(Itest.Action action) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        OutputStream tee = new OutputStream() {
            @Override
            public void write(int b) {
                copy.write(b);
                original.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                copy.write(b, off, len);
                original.write(b, off, len);
            }
        };
        System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return copy.toString(StandardCharsets.UTF_8);
    }
}
