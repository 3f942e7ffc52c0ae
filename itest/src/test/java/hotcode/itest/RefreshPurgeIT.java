package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import java.util.concurrent.Callable;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;

import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.testing.Inbox;

/**
 * Refresh of an updated module bundle is Erlang's purge: a process still running the old version is killed (reason
 * {@code killed}; monitors and trapping links see it, its unreceived messages become dead letters); a process that
 * re-entered the current version survives; the old revision is gone afterwards.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RefreshPurgeIT {
    private static final String MOD = "purged";
    private static final String BSN = "hotcode.itest.purged";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        // classes load lazily here (no preload at load): these tests pin what a revision's class loader still does
        // after an update and after a refresh, for classes first named then
        return HotcodeOptions.options(frameworkProperty("hotcode.load.preload.classes").value("0"));
    }

    @Test
    public void refreshKillsOldCodeProcessesOnly() throws Exception {
        Bundle bundle = TestModules.module(BSN, "1.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        Inbox inbox = Inbox.open();
        Pid stayer = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());
        Pid mover = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());
        assertEquals("v1", inbox.ask(stayer, "local"));
        assertEquals("v1", inbox.ask(mover, "local"));
        Inbox.Monitor monitor = new Inbox.Monitor(stayer);
        Inbox.Linked linked = new Inbox.Linked(stayer);

        TestModules.module(BSN, "2.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);
        assertEquals("2.0.0", currentVersion(MOD));
        assertEquals(2, Itest.revisions(bundle));
        assertEquals("v1", inbox.ask(mover, "reenter"));
        assertEquals("v2", inbox.ask(mover, "local"));
        assertFalse(code().checkProcessCode(mover, MOD));
        assertTrue(code().checkProcessCode(stayer, MOD));
        assertEquals(1, Itest.which(MOD).old().orElseThrow().processes());

        // the stayer waits for 'go' in v1 code; three messages queue up behind it and are never received
        assertEquals("v1", inbox.ask(stayer, "hold"));
        List<Object> left = List.of(tuple(atom("seq"), 1), tuple(atom("seq"), 2), tuple(atom("seq"), 3));
        for (Object m : left) {
            Hotcode.send(stayer, m);
        }
        long deadLetters = Hotcode.deadLetterCount();

        Itest.refresh(bundle);

        assertEquals("the monitor sees the purge kill", Hotcode.KILLED, monitor.awaitDown());
        assertEquals("the trapping linked process sees the purge kill", Hotcode.KILLED, linked.awaitExit());
        assertFalse(Hotcode.isAlive(stayer));
        assertTrue("the process in the current version survives the refresh", Hotcode.isAlive(mover));
        assertEquals("v2", inbox.ask(mover, "local"));
        assertEquals("v2", inbox.ask(mover, "qualified"));
        assertEquals("v2", Hotcode.call(MOD, "vsn"));

        assertEquals("the old revision is gone", 1, Itest.revisions(bundle));
        ModuleInfo info = Itest.which(MOD);
        assertTrue("no old version after the purge: " + info, info.old().isEmpty());
        assertEquals("2.0.0", info.current().orElseThrow().version());
        assertEquals(1, info.current().orElseThrow().processes());

        List<DeadLetter> recent = Hotcode.recentDeadLetters();
        List<Object> toStayer = recent.stream().filter(d -> d.to().equals(stayer)).map(DeadLetter::message).toList();
        assertEquals("the stayer's unreceived messages are dead letters, in order: " + recent, left, toStayer);
        assertTrue(recent.stream().filter(d -> d.to().equals(stayer)).allMatch(d -> d.reason() == Hotcode.KILLED));
        assertEquals("exactly those dead letters: " + recent, deadLetters + left.size(), Hotcode.deadLetterCount());
    }

    /**
     * A refresh that purges old code is a normal operation: it must not make the framework report errors. (The
     * purged version's anchor bundle is restarted by the refresh, and cannot resolve once its revision is gone.)
     */
    @Test
    public void refreshThatPurgesReportsNoFrameworkError() throws Exception {
        String mod = "quietpurge";
        String bsn = "hotcode.itest.quietpurge";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        TestModules.module(bsn, "2.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);
        assertEquals(2, Itest.revisions(bundle));

        List<FrameworkEvent> errors = Itest.frameworkErrorsDuring(() -> Itest.refresh(bundle));

        assertTrue(Itest.which(mod).old().isEmpty());
        assertEquals("v2", Hotcode.call(mod, "vsn"));
        assertEquals("framework errors during the refresh:" + Itest.describe(errors), List.of(), errors);
        Itest.await("the purged version's anchor to be uninstalled", () -> java.util.Arrays.stream(context().getBundles())
                .noneMatch(b -> b.getLocation().startsWith("hotcode:anchor:" + mod + ":1:")));
    }

    /**
     * A process inside a fun made by the old version runs old code without an old frame: the refresh's purge finds
     * it on its stack and kills it. A fun of the purged version called afterwards still runs what its version had
     * loaded, but its bundle's wiring is gone: a class it had not loaded is a NoClassDefFoundError.
     */
    @Test
    public void refreshKillsAProcessInsideAnOldFun() throws Exception {
        String mod = "oldfun";
        String bsn = "hotcode.itest.oldfun";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        Inbox inbox = Inbox.open();
        @SuppressWarnings("unchecked")
        Callable<Object> parking = (Callable<Object>) Hotcode.call(mod, "parkingFun", inbox.pid());
        @SuppressWarnings("unchecked")
        Callable<Object> helper = (Callable<Object>) Hotcode.call(mod, "helperFun");
        TestModules.module(bsn, "2.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);

        Pid p = Hotcode.spawn(() -> { // this test's code: a process of no module, so it has no frame at all
            try {
                parking.call();
            } catch (RuntimeException e) {
                throw e; // the purge's exit, among others
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return Next.done();
        });
        assertEquals(tuple(atom("in_fun"), "v1"), inbox.next());
        assertTrue(code().checkProcessCode(p, mod));
        Inbox.Monitor monitor = new Inbox.Monitor(p);

        Itest.refresh(bundle);

        assertEquals("the purge found it inside v1's fun", Hotcode.KILLED, monitor.awaitDown());
        assertTrue(Itest.which(mod).old().isEmpty());
        try {
            fail("a purged fun loaded a class after the refresh: " + helper.call());
        } catch (NoClassDefFoundError e) {
            assertTrue(e.getMessage(), e.getMessage().contains("Helper"));
        }
    }
}
