package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.itest.Itest.which;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWiring;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.UndefException;
import hotcode.testing.Inbox;

/**
 * The {@code hotcode:*} console commands, run through Gogo's CommandProcessor as the console runs them: each
 * returns a table or a line naming what it did; bad input (unknown module or pid, malformed term) fails with a
 * message naming it. Gogo's API is not on the probe's compile path, so the session is driven reflectively.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConsoleCommandsIT {
    private Console console;

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    @Before
    public void openConsole() throws Exception {
        console = new Console();
    }

    @After
    public void closeConsole() {
        if (console != null) {
            console.close();
        }
    }

    // ------------------------------------------------------------------ servers, supervisors, migrate purge

    /**
     * Gogo's {@code help <scope:function>} (gogo.command and gogo.jline) reflects on the command service's class: the
     * public methods named as the command and their {@code @Descriptor}. A module command's service must carry the
     * module's {@code @Description}s that way, while running the command itself as a qualified call.
     */
    @Test
    public void moduleCommandsCarryTheirDescriptionsForHelp() throws Exception {
        ServiceReference<?>[] refs = context().getAllServiceReferences(null,
                "(&(osgi.command.scope=pingpong)(osgi.command.function=start))");
        assertNotNull("pingpong:start is registered", refs);
        Object service = context().getService(refs[0]);
        Method start = null;
        for (Method m : service.getClass().getMethods()) {
            if (m.getName().equals("start") && m.getParameterCount() == 1) { // start/2 (with the interval) too
                start = m;
            }
        }
        assertNotNull("a method start/1 for help on " + service.getClass(), start);
        assertEquals(int.class, start.getParameterTypes()[0]);
        assertEquals("spawns a server and a client that pings it n times, a second apart; returns the client's pid",
                descriptor(start.getAnnotations()));
        assertEquals("how many pings", descriptor(start.getParameterAnnotations()[0]));
        context().ungetService(refs[0]);
    }

    /** The value of Gogo's {@code @Descriptor} among {@code annotations} (read by name: the probe does not import it). */
    private static String descriptor(java.lang.annotation.Annotation[] annotations) throws Exception {
        for (java.lang.annotation.Annotation a : annotations) {
            if (a.annotationType().getName().equals("org.apache.felix.service.command.Descriptor")) {
                return (String) a.annotationType().getMethod("value").invoke(a);
            }
        }
        return null;
    }

    @Test
    public void serverCommandsAndTheMigratePurge() throws Exception {
        org.osgi.framework.Bundle b = TestModules.module("hotcode.itest.ccount", "1.0.0")
                .module("ccount", ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v1").start(context());
        Class<?> server = b.loadClass("hotcode.itest.counter.CounterServer");
        Pid cc = hotcode.runtime.api.GenServer.start("cc", server, new Object[] {5, "ok"});
        assertEquals("5", console.text("hotcode:call cc get"));
        assertEquals("cast hello to cc", console.text("hotcode:cast cc hello"));
        assertEquals("[hello]", console.text("hotcode:call " + cc.id() + " seen"));
        assertContains(console.text("hotcode:state cc"), "State[n=5, mode=ok, seen=[hello]]");
        assertEquals("suspended cc", console.text("hotcode:suspend cc"));
        console.text("hotcode:cast cc queued");
        assertEquals("resumed cc", console.text("hotcode:resume cc"));
        assertEquals("[hello, queued]", console.text("hotcode:call cc seen"));
        assertContains(Itest.assertThrows(Exception.class, () -> console.run("hotcode:call nobody get")).getMessage(),
                "no process is registered as nobody");

        hotcode.runtime.api.Supervisor.start("csup", hotcode.runtime.api.Supervisor.Strategy.ONE_FOR_ONE, 3,
                java.time.Duration.ofSeconds(5),
                hotcode.runtime.api.Supervisor.Child.server("c1", "c1", server, new Object[] {1, "ok"}));
        assertRow(console.text("hotcode:children csup"), "c1  +" + Pattern.quote(Hotcode.whereis("c1").toString()) + "  +c1  +0");

        CodeServerIT.Echo e = CodeServerIT.Echo.start("console_migrate");
        Pid parked = e.spawn(); // waits in the first receive of its qualified step: it can move
        Pid busy = e.spawnRunning("v1"); // has taken a message since: it cannot
        Itest.await("both run 1.0.0", () -> Itest.which("console_migrate").current().orElseThrow().processes() == 2);
        Thread.sleep(50); // and the fresh one waits in its receive
        e.update("2.0.0", TestModules.ECHO_V2);
        assertContains(Itest.assertThrows(Exception.class, () -> console.run("hotcode:purge console_migrate gently"))
                .getMessage(), "unknown mode gently");
        assertEquals("purged console_migrate: moved [" + parked + "] to the current version; killed [" + busy + "]",
                console.text("hotcode:purge console_migrate migrate"));
        assertEquals("it runs the current version", "v2", e.inbox.ask(parked, "local"));
    }

    // ------------------------------------------------------------------ processes

    @Test
    public void psInfoSendKillAndAwait() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("console");
        Pid lingerer = e.spawnRunning("v1");
        Hotcode.register("console_lingerer", lingerer);
        Inbox.Monitor monitor = new Inbox.Monitor(lingerer);
        Inbox.Linked linked = new Inbox.Linked(lingerer);
        e.update("2.0.0", TestModules.ECHO_V2);
        Pid current = e.spawnRunning("v2");

        String ps = console.text("hotcode:ps");
        assertRow(ps, Pattern.quote(lingerer.toString()) + "  +console_lingerer  +console  +1\\.0\\.0  +old  +\\d+  +\\w+");
        assertRow(ps, Pattern.quote(current.toString()) + "  +-  +console  +2\\.0\\.0  +\\d+  +\\w+");
        assertContains(ps, Hotcode.processes().size() + " processes");
        assertRow(console.text("hotcode:ps --all"), Pattern.quote(current.toString()) + "  +-  +console  +2\\.0\\.0  +\\d+  +\\w+");

        for (String written : new String[] {"'" + lingerer + "'", String.valueOf(lingerer.id())}) {
            String info = console.text("hotcode:info " + written);
            assertRow(info, "pid  +" + Pattern.quote(lingerer.toString()));
            assertRow(info, "registered_name  +console_lingerer");
            assertRow(info, "old_code  +true");
            assertRow(info, "trap_exit  +false");
            assertRow(info, "current_function  +console:loop \\(console 1\\.0\\.0\\)");
            assertRow(info, "links  +\\[" + Pattern.quote(linked.pid().toString()) + "\\]");
            assertContains(info, "monitored_by");
        }
        assertRow(console.text("hotcode:info " + current.id()), "old_code  +false");

        // send: an Erlang term, to a pid (both spellings) or a registered name
        String sent = console.text("hotcode:send " + lingerer.id() + " '{local, " + e.inbox.pid() + "}'");
        assertEquals("sent {local, " + e.inbox.pid() + "} to " + lingerer, sent);
        assertEquals(tuple(atom("local"), "v1"), e.inbox.next());
        console.text("hotcode:send '" + current + "' '{qualified, " + e.inbox.pid() + "}'");
        assertEquals(tuple(atom("qualified"), "v2"), e.inbox.next());
        console.text("hotcode:send console_lingerer '{seq, 7}'");
        assertEquals("a number is read as a Long", tuple(atom("seq"), 7L, "v1"), e.inbox.next());

        // kill and await
        assertEquals("exit signal kill sent to " + lingerer, console.text("hotcode:kill " + lingerer.id()));
        assertEquals(Hotcode.KILLED, monitor.awaitDown());
        assertEquals(Hotcode.KILLED, linked.awaitExit());
        Pid victim = e.spawnRunning("v2");
        assertEquals(victim + " still running after 100 ms", console.text("hotcode:await " + victim.id() + " 100"));
        // await needs a live pid to start with, so the exit comes a while after the command starts waiting
        Hotcode.spawn(() -> {
            Hotcode.sleep(2000);
            Hotcode.exit(victim, atom("shutdown"));
            return Next.done();
        });
        assertEquals(victim + " exited: shutdown", console.text("hotcode:await " + victim.id() + " 20000"));
        Pid other = e.spawnRunning("v2");
        assertEquals("exit signal shutdown sent to " + other, console.text("hotcode:kill '" + other + "' shutdown"));
        Itest.awaitExit(other);
        assertTrue(Hotcode.isAlive(current));
    }

    // ------------------------------------------------------------------ code

    @Test
    public void modulesWhichPurgeSoftpurgeLoadDelete() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("consolecode");
        String mod = e.module;
        long bundleId = e.bundle.getBundleId();
        Pid lingerer = e.spawnRunning("v1");
        e.update("2.0.0", TestModules.ECHO_V2);
        Pid current = e.spawnRunning("v2");

        assertRow(console.text("hotcode:modules"), mod + "  +loaded  +2\\.0\\.0  +1  +1\\.0\\.0  +1  +" + bundleId);
        String which = console.text("hotcode:which " + mod);
        assertRow(which, "current  +2\\.0\\.0  +2  +" + bundleId + "  +" + Pattern.quote(e.bundle.getLocation()) + "  +1");
        assertRow(which, "old  +1\\.0\\.0  +1  +" + bundleId + "  +" + Pattern.quote(e.bundle.getLocation()) + "  +1");
        assertContains(which, "status: loaded");

        // soft purge: refused, naming the lingerer; nothing changes
        assertEquals("not purged: " + mod + "'s old code is still run by [" + lingerer + "]",
                console.text("hotcode:softpurge " + mod));
        assertTrue(Hotcode.isAlive(lingerer));
        assertEquals("1.0.0", which(mod).old().orElseThrow().version());

        // load: refused while there is old code
        String v3 = CodeServerIT.jarFile(e.jar("3.0.0", TestModules.ECHO_V3));
        assertFailure(console.fails("hotcode:load " + mod + " '" + v3 + "'"), "not_purged", mod);
        assertEquals("2.0.0", currentVersion(mod));

        // delete: refused while there is old code
        assertEquals("not deleted: " + mod + " has old code (1.0.0): purge it first",
                console.text("hotcode:delete " + mod));
        assertTrue(code().isLoaded(mod));

        // purge: kills the lingerer
        Inbox.Monitor monitor = new Inbox.Monitor(lingerer);
        assertEquals("purged " + mod + ": killed [" + lingerer + "]", console.text("hotcode:purge " + mod));
        assertEquals(Hotcode.KILLED, monitor.awaitDown());
        assertEquals(mod + " has no old code: nothing purged", console.text("hotcode:purge " + mod));
        assertEquals("soft purge with nothing to purge succeeds", "purged " + mod, console.text("hotcode:softpurge " + mod));
        assertRow(console.text("hotcode:modules"), mod + "  +loaded  +2\\.0\\.0  +1  +-  +-  +" + bundleId);

        // load: now accepted
        assertEquals("loaded " + mod + " 3.0.0 (vsn 3, bundle " + bundleId + ")",
                console.text("hotcode:load " + mod + " '" + v3 + "'"));
        assertEquals("v3", Hotcode.call(mod, "vsn"));
        assertEquals("v3", e.inbox.ask(current, "qualified"));
        assertRow(console.text("hotcode:which " + mod),
                "old  +2\\.0\\.0  +2  +" + bundleId + "  +" + Pattern.quote(e.bundle.getLocation()) + "  +1");

        // delete after a purge: current becomes old, calls are undef, nobody is killed
        console.text("hotcode:purge " + mod);
        assertEquals("deleted " + mod + ": its current version is now old", console.text("hotcode:delete " + mod));
        assertRow(console.text("hotcode:modules"), mod + "  +not_loaded  +-  +-  +3\\.0\\.0  +0  +" + bundleId);
        String deleted = console.text("hotcode:which " + mod);
        assertRow(deleted, "old  +3\\.0\\.0  +3  +" + bundleId + "  +" + Pattern.quote(v3) + "  +0"); // loaded from v3's jar
        assertContains(deleted, "status: not_loaded");
        assertTrue(Itest.assertThrows(UndefException.class, () -> Hotcode.call(mod, "vsn")).getMessage().contains(mod));
        assertEquals("not deleted: " + mod + " has no current version (not_loaded)", console.text("hotcode:delete " + mod));

        // uninstall: only old code is left (removed); purging it, the code server forgets the module (non_existing)
        e.bundle.uninstall();
        assertContains(console.text("hotcode:which " + mod), "status: removed");
        console.text("hotcode:purge " + mod);
        assertContains(console.text("hotcode:which " + mod), "no module named " + mod + " is known to the code server (non_existing)");
    }

    @Test
    public void deadLetters() throws Exception {
        Pid gone = Hotcode.spawn(() -> Next.done());
        Itest.awaitExit(gone);
        Hotcode.send(gone, tuple(atom("late"), 42));
        String letters = console.text("hotcode:deadletters");
        // sent from the test's thread, which is no process: the sender is unknown
        assertRow(letters, "\\S+  +unknown  +" + Pattern.quote(gone.toString()) + "  +noproc  +\\{late, 42\\}");
        assertTrue(letters, Pattern.compile("^\\d+ dead letters in all .*noproc", Pattern.MULTILINE).matcher(letters).find());
    }

    // ------------------------------------------------------------------ bad input

    @Test
    public void badInputIsRefusedNamingIt() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("consolebad");
        Pid p = e.spawnRunning("v1");

        for (String command : new String[] {"which", "purge", "softpurge", "delete"}) {
            // Erlang answers these for an unknown module (non_existing, false, true, false): said plainly, no failure
            String answer = console.text("hotcode:" + command + " nosuchmodule");
            assertTrue(answer, answer.startsWith("no module named nosuchmodule is known to the code server (non_existing)"));
        }
        assertFailure(console.fails("hotcode:load nosuchmodule 'file:/nonexistent.jar'"), "no module named nosuchmodule");
        assertFailure(console.fails("hotcode:load " + e.module + " 'file:/nonexistent/nothing.jar'"),
                "cannot read", "file:/nonexistent/nothing.jar");
        String otherModule = CodeServerIT.jarFile(TestModules.module(e.bsn, "2.0.0")
                .module("someoneelse", TestModules.ECHO_CLASS).classes(TestModules.ECHO_V2).bytes());
        assertFailure(console.fails("hotcode:load " + e.module + " '" + otherModule + "'"), "someoneelse",
                "not a version of module " + e.module);

        assertFailure(console.fails("hotcode:info 999999"), "no process <0.999999.0> is alive");
        assertFailure(console.fails("hotcode:info '<0.999999.0>'"), "no process <0.999999.0> is alive");
        assertFailure(console.fails("hotcode:info notapid"), "no process is registered as notapid (and it is not a pid)");
        assertFailure(console.fails("hotcode:kill 999999"), "no process <0.999999.0> is alive");
        assertFailure(console.fails("hotcode:send 999999 ping"), "no process <0.999999.0> is alive");
        assertFailure(console.fails("hotcode:send nosuchname ping"), "nosuchname");
        assertFailure(console.fails("hotcode:send " + p.id() + " '{ping, 1'"), "malformed message", "{ping, 1");
        assertFailure(console.fails("hotcode:send " + p.id() + " 'Ping'"), "malformed message", "Ping");
        assertFailure(console.fails("hotcode:send " + p.id() + " '{ping, <0.999999.0>}'"), "no process <0.999999.0> is alive");

        // nothing of it changed anything
        assertEquals("1.0.0", currentVersion(e.module));
        assertTrue(which(e.module).old().isEmpty());
        assertEquals("v1", e.inbox.ask(p, "local"));
        e.inbox.assertNoMore(100);
    }

    @Test
    public void termLimitsGiveClearErrorsAndBigIntegersArrive() throws Exception {
        CodeServerIT.Echo e = CodeServerIT.Echo.start("consoleterms");
        Pid p = e.spawnRunning("v1");

        // deeper than any stack: Gogo reports an Error thrown by a command as a bare InvocationTargetException
        Throwable deep = console.fails("hotcode:send " + p.id() + " '" + "{".repeat(100_000) + "'");
        assertTrue("a HotcodeException, not " + deep, deep instanceof hotcode.runtime.api.HotcodeException);
        assertFailure(deep, "malformed message", "at position 101", "tuples and lists nested deeper than 100 levels");
        assertFailure(console.fails("hotcode:cast " + p.id() + " 1.0e99999"), "the float 1.0e99999 is out of range");

        String big = "123456789012345678901234567890";
        assertEquals("sent {seq, " + big + "} to " + p, console.text("hotcode:send " + p.id() + " '{seq, " + big + "}'"));
        Object echoed = e.inbox.next();
        assertEquals("an integer beyond long arrives as a BigInteger", tuple(atom("seq"), new java.math.BigInteger(big), "v1"), echoed);
        e.inbox.assertNoMore(100);
    }

    @Test
    public void releaseInstallAndReleases() throws Exception {
        org.osgi.framework.Bundle b = TestModules.module("hotcode.itest.crel", "1.0.0")
                .module("crel", ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v1d").start(context());
        Pid s = (Pid) Hotcode.call("crel", "start", 4, "ok");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("crel");
        java.nio.file.Files.write(dir.resolve("crel-2.jar"), TestModules.module("hotcode.itest.crel", "2.0.0")
                .module("crel", ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v2").bytes());
        java.nio.file.Path file = dir.resolve("crel.release");
        java.nio.file.Files.writeString(file, "release: crel 2.0.0\nmodule hotcode.itest.crel crel-2.jar\n");

        assertContains(console.text("hotcode:release install '" + file + "'"),
                "installed release crel 2.0.0: 1 bundle(s) updated, 1 module(s) committed together ([crel 2.0.0]), 1 server(s) migrated");
        assertEquals("2.0.0", currentVersion("crel"));
        assertEquals("v2 from 1.0.0", hotcode.runtime.api.GenServer.call(s, "shape"));
        assertRow(console.text("hotcode:releases"), "crel +2\\.0\\.0 +current +hotcode\\.itest\\.crel 2\\.0\\.0");
        assertEquals("release crel 2.0.0 is current already: nothing changed",
                console.text("hotcode:release install '" + file.toUri() + "'"));

        assertFailure(console.fails("hotcode:release install '" + dir.resolve("none.release") + "'"),
                "no release file", "none.release");
        assertFailure(console.fails("hotcode:release remove x"), "unknown action \"remove\"");
        assertEquals("2.0.0", b.getVersion().toString());
        assertFailure(console.fails("hotcode:release downgrade"),
                "no older release to go back to: crel 2.0.0 (current) is the only one installed");

        // release 3, then back to 2 (old code of 2.0.0 is purged first, as its file says)
        java.nio.file.Files.write(dir.resolve("crel-3.jar"), TestModules.module("hotcode.itest.crel", "3.0.0")
                .module("crel", ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v1d").bytes());
        java.nio.file.Path three = dir.resolve("crel3.release");
        java.nio.file.Files.writeString(three, "release: crel 3.0.0\npurge: true\nmodule hotcode.itest.crel crel-3.jar\n");
        java.nio.file.Files.writeString(file, "release: crel 2.0.0\npurge: true\nmodule hotcode.itest.crel crel-2.jar\n");
        assertContains(console.text("hotcode:release install '" + three + "'"), "installed release crel 3.0.0");
        assertEquals("v1 down from 2.0.0", hotcode.runtime.api.GenServer.call(s, "shape"));
        assertContains(console.text("hotcode:release downgrade"), "installed release crel 2.0.0",
                "(downgrade from crel 3.0.0)");
        assertEquals("2.0.0", currentVersion("crel"));
        assertEquals("v2 from 3.0.0", hotcode.runtime.api.GenServer.call(s, "shape"));
        assertRow(console.text("hotcode:releases"), "crel +3\\.0\\.0 +old +hotcode\\.itest\\.crel 3\\.0\\.0");
    }

    // ------------------------------------------------------------------ update: the outcome, a script stops on rollback

    @Test
    public void updateSaysWhatItLoadedAndARollbackStopsTheScript() throws Exception {
        String mod = "cupdate";
        org.osgi.framework.Bundle b = TestModules.module("hotcode.itest." + mod, "1.0.0")
                .module(mod, ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v1").start(context());
        Pid refuser = (Pid) Hotcode.call(mod, "start", 1, "throw"); // its codeChange refuses while failOn is "throw"
        java.nio.file.Path v2 = java.nio.file.Files.createTempFile("cupdate-2.0.0", ".jar");
        java.nio.file.Files.write(v2, TestModules.module("hotcode.itest." + mod, "2.0.0")
                .module(mod, ServerUpgradeIT.ENTRY).classes("counter-entry", "counter-v2").bytes());
        String url = v2.toUri().toString();

        System.setProperty("hotcode.itest.failOn", "throw");
        try {
            Throwable rolledBack = console.fails("hotcode:update " + b.getBundleId() + " '" + url + "'\n"
                    + "after = reached");
            assertFailure(rolledBack, mod + ": upgrade 1.0.0 -> 2.0.0 rolled back", refuser.toString(),
                    "refuses mode throw");
            assertEquals("the script stopped at the failed update", null, console.variable("after"));
            assertEquals("1.0.0", currentVersion(mod));
        } finally {
            System.clearProperty("hotcode.itest.failOn");
        }
        Itest.await("the bundle restored to 1.0.0", () -> b.getVersion().toString().equals("1.0.0"));

        // vsn 3: the rolled-back attempt had vsn 2
        assertEquals("updated bundle " + b.getBundleId() + ": loaded " + mod + " 2.0.0 (vsn 3); " + mod
                + " 1.0.0 is now old", console.text("hotcode:update " + b.getBundleId() + " '" + url + "'"));
        assertEquals("2.0.0", currentVersion(mod));
        assertFailure(console.fails("hotcode:update 0 '" + url + "'"), "bundle 0 provides no module", mod + " "
                + b.getBundleId());
    }

    /** A missing argument got Gogo's "Cannot coerce info() to any of [(String)]": it says the usage instead. */
    @Test
    public void aMissingArgumentSaysTheUsage() {
        String[][] cases = {
            {"hotcode:info", "usage: hotcode:info <pid|name>"},
            {"hotcode:which", "usage: hotcode:which <module>"},
            {"hotcode:send", "usage: hotcode:send <pid|name> <term>"},
            {"hotcode:send 7", "usage: hotcode:send <pid|name> <term>"},
            {"hotcode:kill", "usage: hotcode:kill <pid> [reason]"},
            {"hotcode:purge", "usage: hotcode:purge <module> [kill|migrate]"},
            {"hotcode:softpurge", "usage: hotcode:softpurge <module>"},
            {"hotcode:load", "usage: hotcode:load <module> <url>"},
            {"hotcode:load m", "usage: hotcode:load <module> <url>"},
            {"hotcode:update", "usage: hotcode:update <bundle id> <url>"},
            {"hotcode:update 4", "usage: hotcode:update <bundle id> <url>"},
            {"hotcode:delete", "usage: hotcode:delete <module>"},
            {"hotcode:await", "usage: hotcode:await <pid> [ms]"},
        };
        for (String[] c : cases) {
            assertFailure(console.fails(c[0]), c[1]);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void assertRow(String table, String rowRegex) {
        Pattern row = Pattern.compile("^" + rowRegex + "\\s*$", Pattern.MULTILINE);
        assertTrue("no row matching /" + rowRegex + "/ in:\n" + table, row.matcher(table).find());
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue("\"" + part + "\" not in:\n" + text, text.contains(part));
        }
    }

    private static void assertFailure(Throwable t, String... parts) {
        String message = String.valueOf(t.getMessage());
        for (String part : parts) {
            assertTrue("\"" + part + "\" not in the failure " + t, message.contains(part));
        }
    }

    /** A Gogo session on the framework's CommandProcessor, driven reflectively. */
    private static final class Console {
        private static final String API = "org.apache.felix.service.command.";
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Object session;
        private final Method execute;
        private final Method close;

        Console() throws Exception {
            ServiceReference<?> ref = context().getServiceReference(API + "CommandProcessor");
            assertNotNull("Gogo's CommandProcessor service (gogo runtime is in itest.bundles)", ref);
            Object processor = context().getService(ref);
            ClassLoader gogo = ref.getBundle().adapt(BundleWiring.class).getClassLoader();
            Class<?> processorType = gogo.loadClass(API + "CommandProcessor");
            Class<?> sessionType = gogo.loadClass(API + "CommandSession");
            session = processorType.getMethod("createSession", InputStream.class, OutputStream.class, OutputStream.class)
                    .invoke(processor, new ByteArrayInputStream(new byte[0]), out, err);
            execute = sessionType.getMethod("execute", CharSequence.class);
            close = sessionType.getMethod("close");
        }

        /** Runs {@code line}; returns what the command returned, or throws what it threw. */
        Object run(String line) throws Exception {
            try {
                return execute.invoke(session, line);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                throw (Error) cause;
            }
        }

        /** Runs {@code line}, which must return something; its toString (what the console prints). */
        String text(String line) throws Exception {
            Object result = run(line);
            assertNotNull(line + " returned nothing (output: " + out + ", errors: " + err + ")", result);
            return result.toString();
        }

        /** Runs {@code line}, which must fail; returns the failure. */
        Throwable fails(String line) {
            Object result;
            try {
                result = run(line);
            } catch (Exception e) {
                return e;
            }
            fail(line + " should have failed, but returned " + result);
            return null;
        }

        /** The session variable {@code name} (null when unset). */
        Object variable(String name) throws ReflectiveOperationException {
            return session.getClass().getMethod("get", String.class).invoke(session, name);
        }

        void close() {
            try {
                close.invoke(session);
            } catch (ReflectiveOperationException e) {
                // closing a test session: nothing to do about it
            }
        }
    }

    @Test
    public void consoleSeesTheRuntimeCommands() throws Exception {
        assertFalse(console.text("hotcode:modules").isEmpty());
        assertRow(console.text("hotcode:modules"), "pingpong  +loaded  +1\\.0\\.0  +0  +-  +-  +\\d+");
    }
}
