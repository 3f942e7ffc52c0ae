package hotcode.itest;

import static hotcode.itest.Itest.await;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;

/**
 * The deploy folder ({@code hotcode.deploy.dir}): a module jar dropped into it upgrades the running module with no
 * refresh, so no process dies, and the old version is soft-purged once its last process leaves it; a file that is not
 * a bundle, or a jar still half written, is reported and nothing of it is installed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DeployFolderIT {

    @Configuration
    public Option[] config() throws IOException {
        TestModules.compileAll();
        Path dir = Files.createTempDirectory("hotcode-deploy-it");
        return HotcodeOptions.options(frameworkProperty("hotcode.deploy.dir").value(dir.toString()));
    }

    private static Path dir() {
        return Path.of(context().getProperty("hotcode.deploy.dir"));
    }

    @Test
    public void droppedModuleJarUpgradesWithoutKillingAndSoftPurgesOnceFree() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("deployed");
        Pid stayer = e.spawnRunning("v1");

        try (LogCapture log = LogCapture.start()) {
            Files.write(dir().resolve("deployed-2.0.0.jar"), e.jar("2.0.0", TestModules.ECHO_V2));

            await("the dropped jar to become the current version", () -> "2.0.0".equals(currentVersion(e.module)));
            await("the process on old code to be named", () -> log.text().contains(
                    "old code of module " + e.module + " (" + e.module + " 1.0.0) is still run by [" + stayer + "]"));
        }
        assertTrue("no refresh: the process on old code lives", Hotcode.isAlive(stayer));
        assertEquals("and still runs the old version", "v1", e.inbox.ask(stayer, "local"));
        assertTrue("the old version is kept while a process runs it: " + which(e.module),
                which(e.module).old().isPresent());
        assertTrue(code().checkProcessCode(stayer, e.module));
        assertEquals("the same bundle was updated, not another installed", "2.0.0",
                e.bundle.getVersion().toString());

        assertEquals("v1", e.inbox.ask(stayer, "reenter")); // leaves the old code for the current version
        await("the old version to be soft-purged once free", () -> which(e.module).old().isEmpty());
        assertTrue(Hotcode.isAlive(stayer));
        assertEquals("v2", e.inbox.ask(stayer, "local"));
        assertFalse(code().checkProcessCode(stayer, e.module));
    }

    @Test
    public void fileThatIsNotABundleIsReportedAndNothingInstalled() throws Exception {
        // ids, not a count: an earlier test's old version may be soft-purged meanwhile, which uninstalls its anchor
        java.util.Set<Long> before = new java.util.HashSet<>();
        for (org.osgi.framework.Bundle b : context().getBundles()) {
            before.add(b.getBundleId());
        }
        try (LogCapture err = LogCapture.start()) {
            Path notes = dir().resolve("notes.txt");
            Files.writeString(notes, "not a jar at all\n");

            await("the file to be reported", () -> err.text().contains(notes + " is not deployed"));
            assertTrue("the report says what the file is: " + err.text(), err.text().contains("not a jar"));
            for (org.osgi.framework.Bundle b : context().getBundles()) {
                assertTrue("nothing installed: " + Arrays.toString(context().getBundles()), before.contains(b.getBundleId()));
            }
            assertNull(context().getBundle(notes.toUri().toString()));
        }
    }

    @Test
    public void halfWrittenJarIsReportedThenDeployedOnceWhole() throws Exception {
        String module = "deployednew";
        byte[] jar = TestModules.module("hotcode.itest." + module, "1.0.0").module(module, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).bytes();
        Path file = dir().resolve(module + ".jar");
        try (LogCapture err = LogCapture.start()) {
            Files.write(file, Arrays.copyOf(jar, jar.length / 2)); // a copy that stopped half way

            await("the truncated jar to be reported", () -> err.text().contains(file + " is not deployed"));
            assertNull("nothing of it installed", context().getBundle(file.toUri().toString()));
            assertTrue(code().which(module).isEmpty());
        }

        try (LogCapture log = LogCapture.start()) {
            Files.write(file, jar); // the copy finished: the file changed, so it is read again

            await("the whole jar to be installed and loaded", () -> code().isLoaded(module));
            // and its start to have returned, so the class does not end (stopping the framework) mid-start
            await("the deploy to finish", () -> log.text().contains(file + " installed module " + module));
        }
        assertEquals("1.0.0", currentVersion(module));
        assertEquals("installed from the deploy folder", file.toUri().toString(),
                which(module).current().orElseThrow().location());
    }

    /** Tees System.out and System.err, where the runtime logs, into a buffer. */
    static final class LogCapture implements AutoCloseable {
        private final PrintStream out = System.out;
        private final PrintStream err = System.err;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        static LogCapture start() {
            LogCapture c = new LogCapture();
            System.setOut(c.tee(c.out));
            System.setErr(c.tee(c.err));
            return c;
        }

        private PrintStream tee(PrintStream original) {
            return new PrintStream(new OutputStream() {
                @Override
                public void write(int b) {
                    synchronized (buffer) {
                        original.write(b);
                        buffer.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (buffer) {
                        original.write(b, off, len);
                        buffer.write(b, off, len);
                    }
                }
            }, true, StandardCharsets.UTF_8);
        }

        String text() {
            synchronized (buffer) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void close() {
            System.out.flush();
            System.err.flush();
            System.setOut(out);
            System.setErr(err);
        }
    }
}
