package hotcode.itest;

import static hotcode.itest.Itest.await;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.testing.Inbox;

/**
 * Module jars in a FileInstall folder (as Karaf's {@code deploy/}) go through the runtime's ArtifactInstaller: a new
 * version dropped over the old jar loads with no refresh (the process on the old version lives on; FileInstall alone
 * would update and refresh, which purges), the old version is soft-purged once that process leaves it, and a plain
 * bundle in the same folder is still FileInstall's to install.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FileInstallIT {
    /** The watched folder: under target/, named per JVM so a rerun starts empty. */
    static Path folder() {
        return Paths.get(System.getProperty("hotcode.root", "."), "itest", "target",
                "fileinstall-" + ProcessHandle.current().pid()).toAbsolutePath().normalize();
    }

    @Configuration
    public Option[] config() throws Exception {
        TestModules.compileAll();
        Files.createDirectories(folder());
        return HotcodeOptions.options(
                frameworkProperty("felix.fileinstall.dir").value(folder().toString()),
                frameworkProperty("felix.fileinstall.poll").value("100"),
                frameworkProperty("felix.fileinstall.noInitialDelay").value("true"),
                bundle(HotcodeOptions.mavenJar("org.apache.felix", "org.apache.felix.fileinstall", "3.7.4")).start());
    }

    @Test
    public void aModuleJarDroppedOverTheOldOneLoadsWithNoRefreshAndTheOldVersionIsSoftPurgedOnceFree() throws Exception {
        Path dir = Paths.get(context().getProperty("felix.fileinstall.dir"));
        String module = "fileinstalled";
        String bsn = "hotcode.itest." + module;
        Path jar = dir.resolve("fileinstalled.jar");
        drop(jar, TestModules.module(bsn, "1.0.0").module(module, TestModules.ECHO_CLASS).classes(TestModules.ECHO_V1).bytes());
        await("module " + module + " 1.0.0 loaded from the FileInstall folder",
                () -> code().which(module).flatMap(m -> m.current()).map(v -> v.version().equals("1.0.0")).orElse(false));
        Bundle b = context().getBundle(which(module).current().orElseThrow().bundleId());
        assertTrue(b.getLocation(), b.getLocation().endsWith("/fileinstalled.jar"));

        Inbox inbox = Inbox.open();
        Pid lingerer = Hotcode.spawn(module, "loop", module, inbox.pid());
        assertEquals("v1", inbox.ask(lingerer, "local"));

        drop(jar, TestModules.module(bsn, "2.0.0").module(module, TestModules.ECHO_CLASS).classes(TestModules.ECHO_V2).bytes());
        await("module " + module + " 2.0.0 current", () -> "2.0.0".equals(currentVersion(module)));
        assertEquals("the same bundle, updated", b.getBundleId(), which(module).current().orElseThrow().bundleId());
        assertTrue("no refresh: the process on 1.0.0 lives on", Hotcode.isAlive(lingerer));
        assertEquals("it still runs 1.0.0 (a local call)", "v1", inbox.ask(lingerer, "local"));
        assertEquals("1.0.0", which(module).old().orElseThrow().version());

        assertEquals("v1", inbox.ask(lingerer, "reenter")); // it leaves the old code: the soft purge can go
        await("the old version soft-purged once free", () -> which(module).old().isEmpty());
        assertTrue(Hotcode.isAlive(lingerer));
        assertEquals("v2", inbox.ask(lingerer, "local"));
    }

    @Test
    public void aPlainBundleIsStillFileInstallsToInstall() throws Exception {
        Path dir = Paths.get(context().getProperty("felix.fileinstall.dir"));
        Path jar = dir.resolve("plain.jar");
        drop(jar, TestModules.module("hotcode.itest.fileinstall.plain", "1.0.0").bytes());
        await("FileInstall installed the plain bundle (the runtime's installer does not claim it)", () -> {
            for (Bundle b : context().getBundles()) {
                if ("hotcode.itest.fileinstall.plain".equals(b.getSymbolicName())) {
                    return true;
                }
            }
            return false;
        });
    }

    /** Writes {@code bytes} outside the folder and moves it into place, as a deploy tool does (never half written). */
    private static void drop(Path jar, byte[] bytes) throws Exception {
        Path tmp = jar.getParent().resolveSibling(jar.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
