package hotcode.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.vmOption;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.util.Set;

import javax.inject.Inject;
import javax.security.auth.Subject;

import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;

import org.apache.felix.service.threadio.ThreadIO;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * Hotcode in a real Apache Karaf 4.4 (the distribution from Maven Central), driven only through Karaf's own shell, as a
 * user would: {@code feature:repo-add} of our features repository (resolved by Karaf from a Maven repository layout of
 * the reactor's artifacts, {@code target/karaf-repo}), {@code feature:install}, {@code pingpong:start},
 * {@code bundle:update} to pingpong v2 while it runs, {@code hotcode:await}, {@code bundle:refresh}, and
 * {@code hotcode:modules}; the runtime's {@code hotcode/code/PURGED} event (through Karaf's EventAdmin) tells the purge.
 * A second test shows why docs/INSTALL.md forbids {@code bundle:update -r} on module bundles: its refresh purges, and
 * kills the processes still running the version it replaced. A third drops pingpong v2's jar into Karaf's
 * {@code deploy/} folder, which FileInstall hands to the runtime: loaded with no refresh, the old version soft-purged.
 *
 * <p>Karaf runs on the JDK that {@link KarafJdk} finds (21 to 23); without one the tests are skipped, saying why.
 */
@RunWith(KarafRunner.class)
@ExamReactorStrategy(PerClass.class)
public class KarafFeatureIT {
    private static final String VERSION = System.getProperty("hotcode.version", "0.2.0");
    private static final String FEATURES = "mvn:dev.hotcode/hotcode-features/" + VERSION + "/xml/features";
    private static final String PINGPONG_V1 = "mvn:dev.hotcode/hotcode-pingpong/" + VERSION;
    private static final String PINGPONG_V2 = "mvn:dev.hotcode/hotcode-pingpong-v2/" + VERSION;
    private static final long TIMEOUT_MS = 30_000;

    @Inject
    private SessionFactory sessions;

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws IOException {
        KarafJdk jdk = KarafJdk.get();
        String karafVersion = System.getProperty("karaf.version", "4.4.10");
        String m2 = System.getProperty("hotcode.m2", System.getProperty("user.home") + "/.m2/repository");
        Path karaf = Paths.get(m2, "org/apache/karaf/apache-karaf", karafVersion,
                "apache-karaf-" + karafVersion + ".tar.gz");
        Path reactorRepo = Paths.get(System.getProperty("hotcode.karaf.repo", "target/karaf-repo")).toAbsolutePath();
        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration().frameworkUrl(karaf.toUri().toString()).name("Apache Karaf")
                        .karafVersion(karafVersion).unpackDirectory(new File("target/exam")).useDeployFolder(false),
                configureConsole().ignoreLocalConsole().ignoreRemoteShell(),
                logLevel(LogLevel.WARN),
                // Karaf resolves mvn: URLs from its system folder, then the reactor's artifacts, then the local
                // repository (where Maven put Pax Exam's bundles); never from a remote repository.
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.defaultRepositories",
                        "${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots,"
                                + reactorRepo.toUri() + "@id=hotcode.reactor@snapshots,"
                                + Paths.get(m2).toUri() + "@id=local@snapshots"),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories", ""),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", m2),
                // free ports, so that two builds on one machine do not collide
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", freePort()),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", freePort()),
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", freePort()),
                systemProperty("hotcode.version").value(VERSION),
                // where the deploy test finds pingpong v2's jar to drop into Karaf's deploy/
                systemProperty("hotcode.karaf.repo").value(reactorRepo.toString()),
                vmOption("-Xmx512m")));
        if (jdk.major > 21) {
            // Karaf 4.4.10's etc/config.properties lists the execution environments only up to Java 21
            options.add(editConfigurationFilePut("etc/config.properties", "eecap-" + jdk.major, "${eecap-21}"));
        }
        if (jdk.major >= 18) {
            // as bin/karaf does: Subject.getSubject (Karaf's EventAdmin, shell, JAAS) needs it on 23
            options.add(vmOption("-Djava.security.manager=allow"));
        }
        // what bin/karaf passes on Java 9+ (Karaf's own KarafTestSupport does the same)
        for (String o : List.of("--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*")) {
            options.add(vmOption(o));
        }
        return options.toArray(new Option[0]);
    }

    /** The probe imports whatever Karaf exports (the shell API, EventAdmin). */
    @ProbeBuilder
    public TestProbeBuilder probe(TestProbeBuilder probe) {
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*");
        return probe;
    }

    /**
     * The seed scenario in Karaf: pingpong v1 runs, {@code bundle:update} (no {@code -r}) loads v2 mid-run, the server
     * re-enters v2 on its upgrade message, the client gets its 10 pongs; then {@code bundle:refresh} purges v1, which
     * no process runs any more, so nothing is killed.
     */
    @Test
    public void upgradeMidRunThroughKarafShell() throws Exception {
        try (Shell sh = new Shell(sessions); Events events = new Events(context)) {
            install(sh);
            atVersion(sh, "1.0.0", PINGPONG_V1);
            sh.exec("log:set INFO hotcode"); // the IT runs Karaf at WARN; a user's Karaf logs INFO by default
            int mark = sh.length();

            sh.exec("client = pingpong:start 10 300");
            sh.await("the first pong", () -> sh.count(mark, "Received a PONG!") >= 1);
            sh.exec("bundle:update hotcode.pingpong " + PINGPONG_V2);
            assertFalse("the update must come before the client's upgrade message (test too slow?):\n" + sh.text(),
                    sh.since(mark).contains("Sending an upgrade message!"));
            assertEquals("2.0.0", pingpong().getVersion().toString());
            String awaited = sh.exec("hotcode:await $client 20000");
            assertTrue(awaited, awaited.contains("exited: normal"));
            String log = sh.logDisplay();
            assertTrue("the runtime logs to Karaf's log (R7 LoggerFactory of pax-logging):\n" + log,
                    log.contains("loaded pingpong 2.0.0"));

            List<String> lines = sh.lines(mark);
            assertEquals(sh.text(), 10, count(lines, "Received a PONG!"));
            assertEquals(sh.text(), 1, count(lines, "Received 10 PONGS!"));
            assertEquals(sh.text(), 1, count(lines, "Sending an upgrade message!"));
            assertEquals("the 5 pings after the upgrade message are answered by v2:\n" + sh.text(), 5,
                    count(lines, "New version Running!"));
            int upgrade = lines.indexOf("Sending an upgrade message!");
            assertEquals("no v2 output before the upgrade message:\n" + sh.text(), -1,
                    lines.subList(0, upgrade).indexOf("New version Running!"));

            String before = sh.exec("hotcode:modules");
            assertTrue("v1 is old until the refresh:\n" + before, row(before).matches("pingpong +loaded +2\\.0\\.0 +1 +1\\.0\\.0 +0 .*"));

            events.clear();
            sh.exec("bundle:refresh hotcode.pingpong");
            Event purged = events.await("hotcode/code/PURGED");
            assertEquals("pingpong", purged.getProperty("module"));
            assertEquals("1.0.0", purged.getProperty("version"));
            assertEquals("no process ran v1, so the purge killed none", 0, purged.getProperty("killed"));
            sh.await("hotcode:modules without an old version", () -> row(sh.quiet("hotcode:modules"))
                    .matches("pingpong +loaded +2\\.0\\.0 +1 +- +- .*"));
        }
    }

    /**
     * {@code bundle:update -r}: Karaf refreshes right after the update (FrameworkWiring.refreshBundles(null): every
     * bundle with a pending old revision), and a refresh is a purge, so the processes still on the replaced version
     * are killed (here pingpong's client and server, mid-run).
     */
    @Test
    public void bundleUpdateWithRefreshPurgesRunningProcesses() throws Exception {
        try (Shell sh = new Shell(sessions); Events events = new Events(context)) {
            install(sh);
            atVersion(sh, "1.0.0", PINGPONG_V1);
            int mark = sh.length();

            String client = pid(sh.exec("c = pingpong:start 1000 50"));
            sh.await("the first pong", () -> sh.count(mark, "Received a PONG!") >= 1);
            events.clear();
            sh.exec("bundle:update -r hotcode.pingpong " + PINGPONG_V2);
            Event purged = events.await("hotcode/code/PURGED");
            assertEquals("1.0.0", purged.getProperty("version"));
            assertEquals("the client and the server ran v1: both killed", 2, purged.getProperty("killed"));
            assertTrue(purged.getProperty("killed.pids") + " holds the client " + client,
                    ((List<?>) purged.getProperty("killed.pids")).contains(client));
            String awaited = sh.exec("hotcode:await $c 10000");
            assertTrue(awaited, awaited.contains("is not alive"));
            assertEquals("the client never got to its 1000 pongs:\n" + sh.text(), 0,
                    count(sh.lines(mark), "Received 1000 PONGS!"));
        }
    }

    /**
     * Karaf's {@code deploy/} folder: Karaf's FileInstall (a startup bundle) is there before the runtime, so the
     * runtime is wired to its package and registers its ArtifactInstaller, which claims module jars. Pingpong v2's jar
     * dropped into {@code deploy/} while a client runs on 1.0.0 is loaded as 2.0.0 with no refresh: the client gets
     * all its pongs, the server re-enters v2 on its upgrade message, and the old version is soft-purged once the client
     * leaves it, with no process killed (FileInstall alone would update and refresh, which purges).
     */
    @Test
    public void karafDeployFolderLoadsModuleJarsWithNoRefresh() throws Exception {
        Path deploy = Paths.get(System.getProperty("karaf.base"), "deploy");
        Path v2 = Paths.get(System.getProperty("hotcode.karaf.repo"), "dev/hotcode/hotcode-pingpong-v2", VERSION,
                "hotcode-pingpong-v2-" + VERSION + ".jar");
        Path dropped = deploy.resolve(v2.getFileName());
        try (Shell sh = new Shell(sessions); Events events = new Events(context)) {
            install(sh);
            Bundle runtime = bundle("hotcode.runtime");
            assertEquals("the runtime's optional import org.apache.felix.fileinstall is wired to Karaf's FileInstall",
                    List.of("org.apache.felix.fileinstall"), providers(runtime, "org.apache.felix.fileinstall"));
            ServiceReference<?>[] installers = context.getServiceReferences(
                    "org.apache.felix.fileinstall.ArtifactInstaller", null);
            assertTrue("the runtime registered its ArtifactInstaller", installers != null && Arrays.stream(installers)
                    .anyMatch(r -> r.getBundle().getBundleId() == runtime.getBundleId()));
            atVersion(sh, "1.0.0", PINGPONG_V1);
            long bundleId = pingpong().getBundleId();
            sh.exec("log:set INFO hotcode");
            int mark = sh.length();

            // 30 pings 300 ms apart: the upgrade message comes after 25 (about 15 s), FileInstall polls every second
            String client = pid(sh.exec("client = pingpong:start 30 300"));
            sh.await("the first pong", () -> sh.count(mark, "Received a PONG!") >= 1);
            events.clear();
            // written beside the folder and moved in, so FileInstall never sees half a jar
            Path tmp = Files.copy(v2, deploy.resolveSibling(v2.getFileName() + ".tmp"),
                    StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, dropped, StandardCopyOption.ATOMIC_MOVE);

            Event loaded = events.await("hotcode/code/LOADED");
            assertEquals("pingpong", loaded.getProperty("module"));
            assertEquals("2.0.0", loaded.getProperty("version"));
            assertEquals("1.0.0", loaded.getProperty("old.version"));
            assertFalse("the load must come before the client's upgrade message (test too slow?):\n" + sh.text(),
                    sh.since(mark).contains("Sending an upgrade message!"));
            assertEquals("the same bundle, updated", bundleId, pingpong().getBundleId());
            assertEquals("2.0.0", pingpong().getVersion().toString());

            String awaited = sh.exec("hotcode:await $client 40000");
            assertTrue("no refresh: the client on 1.0.0 lived on: " + awaited, awaited.contains("exited: normal"));
            List<String> lines = sh.lines(mark);
            assertEquals(sh.text(), 30, count(lines, "Received a PONG!"));
            assertEquals(sh.text(), 1, count(lines, "Received 30 PONGS!"));
            assertEquals("the 5 pings after the upgrade message are answered by v2:\n" + sh.text(), 5,
                    count(lines, "New version Running!"));

            Event purged = events.await("hotcode/code/PURGED");
            assertEquals("pingpong", purged.getProperty("module"));
            assertEquals("1.0.0", purged.getProperty("version"));
            assertEquals("soft-purged once the client " + client + " left 1.0.0: none killed", 0,
                    purged.getProperty("killed"));
            sh.await("hotcode:modules without an old version", () -> row(sh.quiet("hotcode:modules"))
                    .matches("pingpong +loaded +2\\.0\\.0 +\\d+ +- +- .*"));
            String log = sh.logDisplay();
            assertTrue("the runtime's deploy, not FileInstall's own update, loaded the jar:\n" + log, log.lines()
                    .anyMatch(l -> l.contains("deploy: ") && l.contains(dropped.getFileName().toString())
                            && l.contains("loaded pingpong 2.0.0")));
        } finally {
            Files.deleteIfExists(dropped); // the runtime keeps the module loaded: it only logs the removal
        }
    }

    /** The example features install and load their modules: kv, and the shop's stock and orders (with its library). */
    @Test
    public void exampleFeaturesLoadTheirModules() throws Exception {
        try (Shell sh = new Shell(sessions)) {
            install(sh);
            sh.exec("feature:install hotcode-examples-kv hotcode-examples-shop");
            for (String module : List.of("kv", "stock", "orders")) {
                sh.await("module " + module + " loaded", () -> sh.quiet("hotcode:modules").lines()
                        .anyMatch(l -> l.strip().matches(module + " +loaded +1\\.0\\.0 .*")));
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** feature:repo-add and feature:install, as docs/INSTALL.md says (again, for the second test: no change). */
    private void install(Shell sh) throws Exception {
        sh.exec("feature:repo-add " + FEATURES);
        sh.exec("feature:install hotcode");
        sh.exec("feature:install hotcode-pingpong");
        String installed = sh.exec("feature:list -i");
        assertTrue(installed, installed.contains("hotcode-pingpong"));
        sh.await("module pingpong loaded", () -> row(sh.quiet("hotcode:modules")).startsWith("pingpong "));
    }

    /** Puts pingpong at {@code version} with no old version left (the other test may have run first). */
    private void atVersion(Shell sh, String version, String url) throws Exception {
        if (!pingpong().getVersion().toString().equals(version)) {
            sh.exec("bundle:update hotcode.pingpong " + url);
        }
        sh.exec("bundle:refresh hotcode.pingpong");
        sh.await("pingpong " + version + " alone", () -> row(sh.quiet("hotcode:modules"))
                .matches("pingpong +loaded +" + version.replace(".", "\\.") + " +\\d+ +- +- .*"));
    }

    /** The pid ({@code <0.N.0>}) a command printed. */
    private static String pid(String output) {
        Matcher m = Pattern.compile("<0\\.\\d+\\.0>").matcher(output);
        assertTrue("no pid in: " + output, m.find());
        return m.group();
    }

    private Bundle pingpong() {
        return bundle("hotcode.pingpong");
    }

    /** The symbolic names of the bundles that {@code b}'s import of {@code pkg} is wired to (none if unwired). */
    private static List<String> providers(Bundle b, String pkg) {
        List<String> providers = new ArrayList<>();
        for (BundleWire w : b.adapt(BundleWiring.class).getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE)) {
            if (pkg.equals(w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))) {
                providers.add(w.getProvider().getBundle().getSymbolicName());
            }
        }
        return providers;
    }

    private Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " is installed");
    }

    /** The pingpong row of {@code hotcode:modules}, or "". */
    private static String row(String modules) {
        for (String l : modules.split("\\R")) {
            if (l.strip().startsWith("pingpong ")) {
                return l.strip();
            }
        }
        return "";
    }

    private static int count(List<String> lines, String line) {
        int n = 0;
        for (String l : lines) {
            if (l.equals(line)) {
                n++;
            }
        }
        return n;
    }

    private static String freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }

    static void await(String what, BooleanSupplier condition, String context) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + TIMEOUT_MS + " ms waiting for " + what + context);
            }
            Thread.sleep(20);
        }
    }

    /**
     * One Karaf shell session (Karaf's SessionFactory, as {@code bin/client} or ssh would use), its output collected:
     * the commands' output, and what pingpong's processes print. Processes print to System.out, which Gogo's ThreadIO
     * sends to the streams of the thread that spawned them (an InheritableThreadLocal), or, once that command has
     * ended, to the streams of the thread that ran the session: as Karaf's console thread does for its terminal, this
     * thread sets its streams to the session's output for the session's life. Otherwise they would go to Karaf's own
     * standard output (where a process's output goes for a command run over ssh, docs/INSTALL.md).
     */
    static final class Shell implements AutoCloseable {
        /**
         * Karaf's default user {@code karaf} with the roles of its group {@code admingroup} (etc/users.properties):
         * Karaf's command ACLs (etc/org.apache.karaf.command.acl.*.cfg) want admin for feature:install, manager for
         * bundle:update and bundle:refresh.
         */
        private static final Subject ADMIN = new Subject(true, Set.of(new UserPrincipal("karaf"),
                new RolePrincipal("admin"), new RolePrincipal("manager"), new RolePrincipal("viewer"),
                new RolePrincipal("systembundles"), new RolePrincipal("ssh")), Set.of(), Set.of());
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        private final Session session;

        private final ThreadIO threadIO;

        Shell(SessionFactory factory) {
            threadIO = threadIO();
            threadIO.setStreams(new ByteArrayInputStream(new byte[0]), out, out);
            session = factory.create(new ByteArrayInputStream(new byte[0]), out, out);
        }

        /**
         * Karaf's ThreadIO (it is no service): the one behind System.out, which Karaf's shell replaced with Gogo's
         * ThreadPrintStream (field {@code io}).
         */
        private static ThreadIO threadIO() {
            try {
                Field io = System.out.getClass().getDeclaredField("io");
                io.setAccessible(true);
                return (ThreadIO) io.get(System.out);
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new AssertionError("System.out is " + System.out.getClass().getName()
                        + ", not Gogo's ThreadPrintStream: Karaf's shell did not start?", e);
            }
        }

        /** Runs a command line; returns its output (and what else was printed meanwhile). */
        String exec(String command) throws Exception {
            out.println("karaf> " + command);
            return quietly(command, true);
        }

        /**
         * {@code log:display}, retried for up to 10 s while Karaf answers "Unrecognized configuration": its
         * LogServiceImpl reads pax-logging's configuration from ConfigAdmin, which {@code log:set} rewrites
         * asynchronously, so a display right after a set can find it mid-update (seen once, on a loaded host).
         */
        String logDisplay() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (;;) {
                try {
                    return exec("log:display");
                } catch (AssertionError | RuntimeException e) { // quietly wraps what the command throws
                    if (!unrecognizedConfiguration(e) || System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
        }

        private static boolean unrecognizedConfiguration(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IllegalStateException && "Unrecognized configuration".equals(t.getMessage())) {
                    return true;
                }
            }
            return false;
        }

        /** Runs a command line without echoing it (for polls). */
        String quiet(String command) {
            try {
                return quietly(command, false);
            } catch (Exception e) {
                throw new AssertionError(command + " failed: " + e, e);
            }
        }

        @SuppressWarnings("removal") // Subject.doAs: Karaf 4.4's ACL check reads Subject.getSubject, not current()
        private String quietly(String command, boolean keep) throws Exception {
            int start = length();
            Object result;
            try {
                result = Subject.doAs(ADMIN, (PrivilegedExceptionAction<Object>) () -> session.execute(command));
            } catch (PrivilegedActionException e) {
                throw new AssertionError("'" + command + "' failed: " + e.getCause() + "\n--- session so far:\n"
                        + text(), e.getCause());
            } catch (Exception e) {
                throw new AssertionError("'" + command + "' failed: " + e + "\n--- session so far:\n" + text(), e);
            }
            String output = keep ? "" : null;
            if (result != null) {
                if (keep) {
                    out.println(result);
                } else {
                    output = result.toString();
                }
            }
            out.flush();
            return keep ? since(start) : output == null ? "" : output;
        }

        void await(String what, BooleanSupplier condition) throws InterruptedException {
            KarafFeatureIT.await(what, condition, "; session:\n" + text());
        }

        int length() {
            return buffer.size();
        }

        String text() {
            return buffer.toString(StandardCharsets.UTF_8);
        }

        String since(int mark) {
            byte[] all = buffer.toByteArray();
            return new String(all, mark, all.length - mark, StandardCharsets.UTF_8);
        }

        List<String> lines(int mark) {
            List<String> lines = new ArrayList<>();
            for (String l : since(mark).split("\\R")) {
                lines.add(l.strip());
            }
            return lines;
        }

        int count(int mark, String line) {
            return KarafFeatureIT.count(lines(mark), line);
        }

        @Override
        public void close() {
            session.close();
            threadIO.close();
        }
    }

    /** The runtime's events (hotcode/code/*), posted through Karaf's EventAdmin. */
    static final class Events implements EventHandler, AutoCloseable {
        private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        private final ServiceRegistration<EventHandler> registration;

        Events(BundleContext context) {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(EventConstants.EVENT_TOPIC, "hotcode/code/*");
            registration = context.registerService(EventHandler.class, this, props);
        }

        @Override
        public void handleEvent(Event event) {
            queue.add(event);
        }

        void clear() {
            queue.clear();
        }

        Event await(String topic) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
            for (;;) {
                Event e = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertNotNull("no " + topic + " event within " + TIMEOUT_MS + " ms", e);
                if (e.getTopic().equals(topic)) {
                    return e;
                }
            }
        }

        @Override
        public void close() {
            registration.unregister();
        }
    }
}
