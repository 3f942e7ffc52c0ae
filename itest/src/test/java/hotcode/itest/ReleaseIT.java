package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.ReleaseInfo;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.api.Sys;

/**
 * Releases on real Felix: two modules with servers install all or nothing (a release whose second module's
 * codeChange throws leaves both modules, their servers and both bundles on the old release; a fixed release then
 * installs both in one commit); {@code not_purged} refuses a release unless it says {@code purge: true}; a bad
 * release file, or a bundle that does not resolve, touches nothing or is rolled back; a library bundle is updated
 * before the modules, whose new version wires to the new library while the old version keeps the old one.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ReleaseIT {
    static final int N = 20;

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options(frameworkProperty("hotcode.migration.timeout.ms").value("5000"));
    }

    @After
    public void clearFailure() {
        System.clearProperty("hotcode.itest.failOn");
    }

    private static TestModules.Spec counter(String module, String version, String codeSet) {
        return TestModules.module("hotcode.itest." + module, version).module(module, ServerUpgradeIT.ENTRY)
                .classes("counter-entry", codeSet);
    }

    /** Writes {@code jars} (file name → bytes) and a release file {@code text} into a fresh directory. */
    private static Path release(String text, Object... jars) throws Exception {
        Path dir = Files.createTempDirectory("release");
        for (int i = 0; i < jars.length; i += 2) {
            Files.write(dir.resolve((String) jars[i]), (byte[]) jars[i + 1]);
        }
        Path file = dir.resolve("app.release");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static List<Pid> start(String module, int n, int throwAt) {
        List<Pid> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add((Pid) Hotcode.call(module, "start", i, i == throwAt ? "throw" : "ok"));
        }
        return out;
    }

    private static void assertContains(String text, String... parts) {
        for (String p : parts) {
            assertTrue("\"" + p + "\" in: " + text, text.contains(p));
        }
    }

    @Test
    public void aReleaseOfTwoModulesInstallsAllOrNothing() throws Exception {
        Bundle a = counter("rela", "1.0.0", "counter-v1").start(context());
        Bundle b = counter("relb", "1.0.0", "counter-v1").start(context());
        List<Pid> as = start("rela", N, -1);
        List<Pid> bs = start("relb", N, N - 1);
        // release 1 is what runs: recorded as current, no bundle touched
        long aModified = a.getLastModified();
        ReleaseResult r1 = code().installRelease(release("release: app 1.0.0\nmodule hotcode.itest.rela a1.jar\n"
                        + "module hotcode.itest.relb b1.jar\n",
                "a1.jar", counter("rela", "1.0.0", "counter-v1").bytes(),
                "b1.jar", counter("relb", "1.0.0", "counter-v1").bytes()).toString());
        assertTrue(r1.changed());
        assertContains(r1.summary(), "no bundle changed");
        assertEquals(aModified, a.getLastModified());

        // a server of rela is suspended with a backlog: it must keep it, in order, through the rollback
        Pid first = as.get(0);
        Sys.suspend(first);
        for (int i = 0; i < 10; i++) {
            GenServer.cast(first, "m" + i);
        }

        // release 2: relb's last server refuses its codeChange, after rela was prepared
        System.setProperty("hotcode.itest.failOn", "throw");
        Path r2 = release("release: app 2.0.0\nmodule hotcode.itest.rela a2.jar\nmodule hotcode.itest.relb b2.jar\n",
                "a2.jar", counter("rela", "2.0.0", "counter-v2").bytes(),
                "b2.jar", counter("relb", "2.0.0", "counter-v2").bytes());
        try {
            code().installRelease(r2.toString());
            fail("release 2 must roll back");
        } catch (MigrationException e) {
            assertEquals(bs.get(N - 1), e.pid());
            assertContains(e.getMessage(), "release app 2.0.0 not installed", "bundle hotcode.itest.relb 2.0.0",
                    "module relb", bs.get(N - 1).toString(), "refuses mode throw", "hotcode.itest.rela 1.0.0",
                    "hotcode.itest.relb 1.0.0", "release app 1.0.0 stays current");
        }
        assertEquals("1.0.0", currentVersion("rela"));
        assertEquals("1.0.0", currentVersion("relb"));
        assertTrue("no old code after a rollback", which("rela").old().isEmpty() && which("relb").old().isEmpty());
        assertEquals("both bundles are restored when the install returns", "1.0.0", a.getVersion().toString());
        assertEquals("1.0.0", b.getVersion().toString());
        for (int i = 1; i < N; i++) {
            assertEquals("v1", GenServer.call(as.get(i), "shape"));
            assertEquals(i, GenServer.call(as.get(i), "get"));
            assertEquals("v1", GenServer.call(bs.get(i), "shape"));
            assertEquals(i, GenServer.call(bs.get(i), "get"));
        }
        List<ReleaseInfo> only = releases("app");
        assertEquals(1, only.size());
        assertEquals("app 1.0.0 (current)", only.get(0).toString());
        assertEquals(List.of("hotcode.itest.rela 1.0.0", "hotcode.itest.relb 1.0.0"), only.get(0).bundles());
        // the restored bundles go through a refresh, servers untouched (as after a single module's rollback)
        Itest.refresh(a, b);
        assertEquals(7, GenServer.call(as.get(7), "get"));

        // release 3, fixed: both modules switch in one commit
        System.clearProperty("hotcode.itest.failOn");
        Path r3 = release("release: app 3.0.0\nmodule hotcode.itest.rela a3.jar\nmodule hotcode.itest.relb b3.jar\n",
                "a3.jar", counter("rela", "3.0.0", "counter-v2").bytes(),
                "b3.jar", counter("relb", "3.0.0", "counter-v2").bytes());
        ReleaseResult r = code().installRelease(r3.toString());
        assertTrue(r.changed());
        assertContains(r.summary(), "installed release app 3.0.0", "2 module(s) committed together");
        assertEquals("3.0.0", currentVersion("rela"));
        assertEquals("3.0.0", currentVersion("relb"));
        for (int i = 1; i < N; i++) {
            assertEquals("v2 from 1.0.0", GenServer.call(as.get(i), "shape"));
            assertEquals("v2 from 1.0.0", GenServer.call(bs.get(i), "shape"));
            assertEquals(i, GenServer.call(bs.get(i), "get"));
        }
        Sys.resume(first);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            expected.add("m" + i);
        }
        assertEquals("the suspended server's backlog, in order", expected, GenServer.call(first, "seen"));
        List<ReleaseInfo> releases = releases("app");
        assertEquals(2, releases.size());
        assertEquals("app 1.0.0 (old)", releases.get(0).toString());
        assertEquals("app 3.0.0 (current)", releases.get(1).toString());

        // the current release again: nothing changes, and it says so
        long modified = b.getLastModified();
        ReleaseResult again = code().installRelease(r3.toString());
        assertFalse(again.changed());
        assertContains(again.summary(), "release app 3.0.0 is current already: nothing changed");
        assertEquals(modified, b.getLastModified());

        // release 4 while both modules have old code (1.0.0): not_purged, nothing touched ...
        byte[] a4 = counter("rela", "4.0.0", "counter-v2").bytes();
        byte[] b4 = counter("relb", "4.0.0", "counter-v2").bytes();
        Path r4 = release("release: app 4.0.0\nmodule hotcode.itest.rela a4.jar\nmodule hotcode.itest.relb b4.jar\n",
                "a4.jar", a4, "b4.jar", b4);
        HotcodeException e = Itest.assertThrows(HotcodeException.class, () -> code().installRelease(r4.toString()));
        assertContains(e.getMessage(), "release app 4.0.0", "refused, nothing was changed",
                "not_purged: module rela still has old code (rela 1.0.0", "not_purged: module relb still has old code",
                "purge: true");
        assertEquals(modified, b.getLastModified());
        assertEquals("3.0.0", currentVersion("relb"));
        // ... unless the release says to purge first
        Path r4p = release("release: app 4.0.0\npurge: true\nmodule hotcode.itest.rela a4.jar\n"
                + "module hotcode.itest.relb b4.jar\n", "a4.jar", a4, "b4.jar", b4);
        code().installRelease(r4p.toString());
        assertEquals("4.0.0", currentVersion("rela"));
        assertEquals("4.0.0", currentVersion("relb"));
        assertEquals("3.0.0", which("relb").old().orElseThrow().version());
        assertEquals(5, GenServer.call(bs.get(5), "get"));
        for (Pid p : as) {
            assertTrue("servers are never on old code: the purge killed none", Hotcode.isAlive(p));
        }
    }

    @Test
    public void aBadReleaseFileTouchesNothing() throws Exception {
        Bundle a = counter("relc", "1.0.0", "counter-v1").start(context());
        long modified = a.getLastModified();
        byte[] c2 = counter("relc", "2.0.0", "counter-v2").bytes();
        Path missing = release("release: bad 1\nmodule hotcode.itest.relc c2.jar\nmodule hotcode.itest.reld d2.jar\n",
                "c2.jar", c2);
        HotcodeException e = Itest.assertThrows(HotcodeException.class, () -> code().installRelease(missing.toString()));
        assertContains(e.getMessage(), "refused, nothing was changed", "line 3: no file", "d2.jar");
        Path other = release("release: bad 1\nmodule hotcode.itest.relc c2.jar\n",
                "c2.jar", counter("reld", "2.0.0", "counter-v2").bytes());
        e = Itest.assertThrows(HotcodeException.class, () -> code().installRelease(other.toString()));
        assertContains(e.getMessage(), "line 2:", "is bundle hotcode.itest.reld, not hotcode.itest.relc");
        assertEquals(modified, a.getLastModified());
        assertEquals("1.0.0", currentVersion("relc"));
    }

    @Test
    public void aBundleThatDoesNotResolveRollsBackTheModulesPreparedBeforeIt() throws Exception {
        Bundle e = counter("rele", "1.0.0", "counter-v1").start(context());
        Bundle f = counter("relf", "1.0.0", "counter-v1").start(context());
        Pid s = (Pid) Hotcode.call("rele", "start", 3, "ok");
        Path r = release("release: unresolved 2\nmodule hotcode.itest.rele e2.jar\nmodule hotcode.itest.relf f2.jar\n",
                "e2.jar", counter("rele", "2.0.0", "counter-v2").bytes(),
                "f2.jar", counter("relf", "2.0.0", "counter-v2")
                        .manifest("Import-Package", "hotcode.runtime.api,hotcode.itest.no.such.pkg").bytes());
        HotcodeException x = Itest.assertThrows(HotcodeException.class, () -> code().installRelease(r.toString()));
        assertContains(x.getMessage(), "release unresolved 2 not installed", "bundle hotcode.itest.relf",
                "module relf", "could not be updated and started", "hotcode.itest.no.such.pkg");
        assertEquals("1.0.0", currentVersion("rele"));
        assertEquals("1.0.0", e.getVersion().toString());
        assertEquals("1.0.0", f.getVersion().toString());
        assertEquals(Bundle.ACTIVE, f.getState());
        assertEquals("v1", GenServer.call(s, "shape"));
        assertEquals(3, GenServer.call(s, "get"));
    }

    @Test
    public void aModulesNewVersionWiresToTheNewLibraryAndItsOldVersionKeepsTheOldOne() throws Exception {
        libraryRelease("hotcode.itest.rellib", "relmod", "1.0.0", "2.0.0");
    }

    /**
     * A library fixed without a new package version: Felix 7.0.5 could wire the module's new revision to the old
     * library revision (resolved, same version); it wires it to the new one.
     */
    @Test
    public void theNewLibraryWinsAlsoWhenItsPackageVersionIsTheSame() throws Exception {
        libraryRelease("hotcode.itest.rellib.same", "relmodsame", "1.0.0", "1.0.0");
    }

    @Test
    public void aFailedReleaseRestoresItsLibraryAndUninstallsTheBundlesItInstalled() throws Exception {
        String libBsn = "hotcode.itest.rellib.back";
        String imports = "hotcode.runtime.api,hotcode.itest.rellib;bundle-symbolic-name=" + libBsn;
        Bundle lib = TestModules.module(libBsn, "1.0.0").classes("rellib-v1")
                .manifest("Export-Package", "hotcode.itest.rellib;version=1.0.0").start(context());
        TestModules.module("hotcode.itest.relmodback", "1.0.0").module("relmodback", "hotcode.itest.relmod.RelMod")
                .classes("relmod").manifest("Import-Package", imports).start(context());
        counter("relg", "1.0.0", "counter-v1").start(context());
        List<Pid> gs = start("relg", 5, 4);
        long libModified = lib.getLastModified();

        System.setProperty("hotcode.itest.failOn", "throw");
        Path r = release("release: back 2\nlibrary " + libBsn + " lib2.jar\n"
                        + "module hotcode.itest.relmodback mod2.jar\nmodule hotcode.itest.relnew new.jar\n"
                        + "module hotcode.itest.relg g2.jar\n",
                "lib2.jar", TestModules.module(libBsn, "2.0.0").classes("rellib-v2")
                        .manifest("Export-Package", "hotcode.itest.rellib;version=1.0.0").bytes(),
                "mod2.jar", TestModules.module("hotcode.itest.relmodback", "2.0.0")
                        .module("relmodback", "hotcode.itest.relmod.RelMod").classes("relmod")
                        .manifest("Import-Package", imports).bytes(),
                "new.jar", counter("relnew", "1.0.0", "counter-v1").bytes(),
                "g2.jar", counter("relg", "2.0.0", "counter-v2").bytes());
        MigrationException e = Itest.assertThrows(MigrationException.class, () -> code().installRelease(r.toString()));
        assertContains(e.getMessage(), "release back 2 not installed", "module relg", gs.get(4).toString(),
                "refuses mode throw", libBsn + " 1.0.0", "hotcode.itest.relmodback 1.0.0", "hotcode.itest.relnew uninstalled");
        assertEquals("the library is back at its previous jar", "1.0.0", lib.getVersion().toString());
        assertNotEquals(libModified, lib.getLastModified());
        assertEquals("1.0.0", currentVersion("relmodback"));
        assertEquals("lib1", Hotcode.call("relmodback", "lib"));
        assertTrue("the module the release brought is gone", code().which("relnew").isEmpty());
        assertTrue(java.util.Arrays.stream(context().getBundles())
                .noneMatch(x -> "hotcode.itest.relnew".equals(x.getSymbolicName())));
        for (int i = 0; i < 5; i++) {
            assertEquals("v1", GenServer.call(gs.get(i), "shape"));
            assertEquals(i, GenServer.call(gs.get(i), "get"));
        }
        // the restored module and library go through a refresh (the library's closure holds the module): still lib1
        Itest.refresh(lib);
        assertEquals("1.0.0", currentVersion("relmodback"));
        assertEquals("lib1", Hotcode.call("relmodback", "lib"));
    }

    @Test
    public void orderPreparesAModuleBeforeAnother() throws Exception {
        counter("relh", "1.0.0", "counter-v1").start(context());
        counter("reli", "1.0.0", "counter-v1").start(context());
        Pid h = (Pid) Hotcode.call("relh", "start", 1, "ok");
        Pid i = (Pid) Hotcode.call("reli", "start", 2, "ok");
        Path r = release("release: ordered 2\nmodule hotcode.itest.relh h2.jar\nmodule hotcode.itest.reli i2.jar\n"
                        + "order: reli before relh\n",
                "h2.jar", counter("relh", "2.0.0", "counter-v2").bytes(),
                "i2.jar", counter("reli", "2.0.0", "counter-v2").bytes());
        List<String> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.osgi.framework.SynchronousBundleListener l = ev -> {
            if (ev.getType() == org.osgi.framework.BundleEvent.STARTED) {
                started.add(ev.getBundle().getSymbolicName());
            }
        };
        context().addBundleListener(l);
        try {
            code().installRelease(r.toString());
        } finally {
            context().removeBundleListener(l);
        }
        assertEquals("reli's bundle is updated, so its module prepared (servers suspended), before relh's",
                List.of("hotcode.itest.reli", "hotcode.itest.relh"),
                started.stream().filter(n -> n.startsWith("hotcode.itest.rel")).toList());
        assertEquals("v2 from 1.0.0", GenServer.call(h, "shape"));
        assertEquals("v2 from 1.0.0", GenServer.call(i, "shape"));
    }

    /**
     * A downgrade is the install of an older release: the older version's codeChange reads the newer state (told the
     * newer version as oldVersion). One module whose older version cannot read it (counter-v1 keeps the state as it
     * is: objects of the newer version) refuses the downgrade for both modules; a release whose older versions can
     * read it then installs.
     */
    @Test
    public void aDowngradeIsAllOrNothingToo() throws Exception {
        counter("reldn", "1.0.0", "counter-v1d").start(context());
        counter("reldx", "1.0.0", "counter-v1").start(context());
        List<Pid> ns = start("reldn", 3, -1);
        List<Pid> xs = start("reldx", 3, -1);
        code().installRelease(release("release: down 1.0.0\npurge: true\nmodule hotcode.itest.reldn n1.jar\n"
                        + "module hotcode.itest.reldx x1.jar\n",
                "n1.jar", counter("reldn", "1.0.0", "counter-v1d").bytes(),
                "x1.jar", counter("reldx", "1.0.0", "counter-v1").bytes()).toString());
        code().installRelease(release("release: down 2.0.0\nmodule hotcode.itest.reldn n2.jar\nmodule hotcode.itest.reldx x2.jar\n",
                "n2.jar", counter("reldn", "2.0.0", "counter-v2").bytes(),
                "x2.jar", counter("reldx", "2.0.0", "counter-v2").bytes()).toString());
        assertEquals("v2 from 1.0.0", GenServer.call(ns.get(1), "shape"));

        // back to release 1 (what hotcode:release downgrade does): reldx 1.0.0 cannot read 2.0.0's state
        ReleaseInfo previous = releases("down").get(0);
        assertEquals("down 1.0.0 (old)", previous.toString());
        MigrationException e = Itest.assertThrows(MigrationException.class, () -> code().installRelease(previous.source()));
        assertContains(e.getMessage(), "release down 1.0.0 not installed", "module reldx", "release down 2.0.0 stays current");
        assertTrue(e.getMessage(), xs.contains(e.pid()));
        for (String m : List.of("reldn", "reldx")) {
            assertEquals("2.0.0", currentVersion(m));
        }
        for (int i = 0; i < 3; i++) {
            assertEquals("v2 from 1.0.0", GenServer.call(ns.get(i), "shape"));
            assertEquals("v2 from 1.0.0", GenServer.call(xs.get(i), "shape"));
            assertEquals(i, GenServer.call(xs.get(i), "get"));
        }
        assertEquals("down 2.0.0 (current)", releases("down").get(1).toString());

        // an older release whose versions read the newer state
        code().installRelease(release("release: down 1.1.0\npurge: true\nmodule hotcode.itest.reldn n1.jar\n"
                        + "module hotcode.itest.reldx x1.jar\n",
                "n1.jar", counter("reldn", "1.1.0", "counter-v1d").bytes(),
                "x1.jar", counter("reldx", "1.1.0", "counter-v1d").bytes()).toString());
        for (int i = 0; i < 3; i++) {
            assertEquals("v1 down from 2.0.0", GenServer.call(ns.get(i), "shape"));
            assertEquals("v1 down from 2.0.0", GenServer.call(xs.get(i), "shape"));
            assertEquals(i, GenServer.call(xs.get(i), "get"));
        }
    }

    private static TestModules.Spec cross(String module, String version, String codeSet) {
        return TestModules.module("hotcode.itest." + module, version).module(module, "hotcode.itest.cross.Cross")
                .classes("cross-entry", codeSet);
    }

    /**
     * 8 clients call the servers of crossa, each of which calls a server of crossb, while release 2 switches both
     * modules: every answer is "1/1" or "2/2" (never a mix of the two releases), no call fails, none is lost or
     * duplicated (the servers' counts add up to the calls answered), and no client sees release 1 again after it has
     * seen release 2.
     */
    @Test
    public void underAStreamOfCallsEveryCallIsAnsweredByOneRelease() throws Exception {
        int servers = 20, clients = 8;
        cross("crossa", "1.0.0", "cross-v1").start(context());
        cross("crossb", "1.0.0", "cross-v1").start(context());
        List<Pid> as = new ArrayList<>();
        List<Pid> bs = new ArrayList<>();
        for (int i = 0; i < servers; i++) {
            bs.add((Pid) Hotcode.call("crossb", "start", "crossb" + i, "none"));
            as.add((Pid) Hotcode.call("crossa", "start", "crossa" + i, "crossb" + i));
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicLongArray ones = new java.util.concurrent.atomic.AtomicLongArray(clients);
        java.util.concurrent.atomic.AtomicLongArray twos = new java.util.concurrent.atomic.AtomicLongArray(clients);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int me = c;
            Thread t = new Thread(() -> {
                java.util.Random rnd = new java.util.Random(me);
                boolean seen2 = false;
                while (!stop.get()) {
                    Object r;
                    try {
                        r = GenServer.call(as.get(rnd.nextInt(servers)), "both");
                    } catch (RuntimeException e) {
                        problems.add("client " + me + ": " + e);
                        continue;
                    }
                    if ("2/2".equals(r)) {
                        seen2 = true;
                        twos.incrementAndGet(me);
                    } else if ("1/1".equals(r) && !seen2) {
                        ones.incrementAndGet(me);
                    } else {
                        problems.add("client " + me + " got " + r + (seen2 ? " after 2/2" : ""));
                    }
                }
            }, "release-client-" + c);
            t.start();
            threads.add(t);
        }
        try {
            Itest.await("every client answered 50 times by release 1", () -> {
                for (int c = 0; c < clients; c++) {
                    if (ones.get(c) < 50) {
                        return false;
                    }
                }
                return true;
            });
            Path r2 = release("release: cross 2.0.0\nmodule hotcode.itest.crossa a2.jar\nmodule hotcode.itest.crossb b2.jar\n",
                    "a2.jar", cross("crossa", "2.0.0", "cross-v2").bytes(),
                    "b2.jar", cross("crossb", "2.0.0", "cross-v2").bytes());
            assertContains(code().installRelease(r2.toString()).summary(), "40 server(s) migrated");
            Itest.await("every client answered 50 times by release 2", () -> {
                for (int c = 0; c < clients; c++) {
                    if (twos.get(c) < 50) {
                        return false;
                    }
                }
                return true;
            });
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(Itest.TIMEOUT_SECONDS));
            }
        }
        assertEquals(List.of(), problems);
        long answered = 0;
        for (int c = 0; c < clients; c++) {
            answered += ones.get(c) + twos.get(c);
        }
        long counted = 0;
        for (Pid p : as) {
            counted += (Long) GenServer.call(p, "calls");
        }
        assertEquals("every call answered was counted once by a server (none lost, none duplicated)", answered, counted);
        for (Pid p : bs) {
            assertEquals("2", GenServer.call(p, "vsn"));
        }
    }

    /**
     * Library bundle {@code libBsn} (exporting hotcode.itest.rellib at {@code export1}) and module {@code module}
     * importing it from that bundle; a release updates both (the library to {@code export2}).
     */
    private static void libraryRelease(String libBsn, String module, String export1, String export2) throws Exception {
        String imports = "hotcode.runtime.api,hotcode.itest.rellib;bundle-symbolic-name=" + libBsn;
        Bundle lib = TestModules.module(libBsn, "1.0.0").classes("rellib-v1")
                .manifest("Export-Package", "hotcode.itest.rellib;version=" + export1).start(context());
        Bundle mod = TestModules.module("hotcode.itest." + module, "1.0.0")
                .module(module, "hotcode.itest.relmod.RelMod").classes("relmod")
                .manifest("Import-Package", imports).start(context());
        assertEquals("lib1", Hotcode.call(module, "lib"));
        BundleRevision oldModRevision = mod.adapt(BundleRevision.class);
        BundleRevision oldLibRevision = lib.adapt(BundleRevision.class);

        Path r = release("release: " + module + " 2\nlibrary " + libBsn + " lib2.jar\nmodule hotcode.itest." + module
                        + " mod2.jar\n",
                "lib2.jar", TestModules.module(libBsn, "2.0.0").classes("rellib-v2")
                        .manifest("Export-Package", "hotcode.itest.rellib;version=" + export2).bytes(),
                "mod2.jar", TestModules.module("hotcode.itest." + module, "2.0.0")
                        .module(module, "hotcode.itest.relmod.RelMod").classes("relmod")
                        .manifest("Import-Package", imports).bytes());
        code().installRelease(r.toString());
        assertEquals("2.0.0", currentVersion(module));
        assertEquals("2.0.0", lib.getVersion().toString());
        assertEquals("the module's new version wires to the new library", "lib2", Hotcode.call(module, "lib"));
        assertEquals("the old version keeps the old library's revision until it is purged", oldLibRevision,
                libraryOf(oldModRevision));
        assertNotEquals(oldLibRevision, lib.adapt(BundleRevision.class));

        // one refresh of the library purges, in one go, the module's old version and the library's old revision
        Itest.refresh(lib);
        assertTrue(module + "'s old version is purged", which(module).old().isEmpty());
        assertEquals("2.0.0", currentVersion(module));
        assertEquals(1, Itest.revisions(lib));
        assertEquals("lib2", Hotcode.call(module, "lib"));
    }

    /** The installed releases named {@code name} (the tests of this class share one runtime). */
    private static List<ReleaseInfo> releases(String name) {
        return code().releases().stream().filter(r -> r.name().equals(name)).toList();
    }

    /** The revision that exports hotcode.itest.rellib to {@code module}. */
    private static BundleRevision libraryOf(BundleRevision module) {
        BundleWiring w = module.getWiring();
        for (BundleWire wire : w.getRequiredWires(BundleRevision.PACKAGE_NAMESPACE)) {
            if ("hotcode.itest.rellib".equals(wire.getCapability().getAttributes().get(BundleRevision.PACKAGE_NAMESPACE))) {
                return wire.getProvider();
            }
        }
        throw new AssertionError("no wire to hotcode.itest.rellib from " + module);
    }
}
