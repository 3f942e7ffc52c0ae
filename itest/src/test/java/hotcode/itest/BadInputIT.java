package hotcode.itest;

import static hotcode.itest.Itest.assertThrows;
import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

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

import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.UndefException;
import hotcode.testing.Inbox;

/**
 * Bad input never breaks what runs: a module bundle that cannot be loaded is refused and the previous version stays
 * current and serving; sends to dead processes are dead letters; qualified calls that cannot resolve raise undef.
 * Each case uses its own module, so the cases are independent.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BadInputIT {

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    // ------------------------------------------------------------------ (a) header names a missing class

    @Test
    public void freshModuleWithMissingClassIsNotLoaded() throws Exception {
        Bundle b = TestModules.module("hotcode.itest.ghost", "1.0.0").module("ghost", "hotcode.itest.mod.Missing")
                .classes(TestModules.ECHO_V1).start(context());
        assertEquals("the bundle itself starts", Bundle.ACTIVE, b.getState());
        assertFalse(code().isLoaded("ghost"));
        assertTrue("never loaded: " + code().which("ghost"), code().which("ghost").isEmpty());
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.call("ghost", "vsn"));
        assertEquals("ghost", e.module());
    }

    @Test
    public void updateToMissingClassKeepsPreviousVersion() throws Exception {
        String mod = "missingcls";
        Fixture f = Fixture.start(mod);
        TestModules.module(f.bsn, "2.0.0").module(mod, "hotcode.itest.mod.Missing")
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        f.assertV1StillCurrentAndServing();
    }

    // ------------------------------------------------------------------ (b) malformed header

    @Test
    public void freshModuleWithMalformedHeaderIsNotLoaded() throws Exception {
        TestModules.module("hotcode.itest.malformed", "1.0.0").header("malformed;klass=" + TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        TestModules.module("hotcode.itest.noclass", "1.0.0").header("noclass")
                .classes(TestModules.ECHO_V1).start(context());
        assertFalse(code().isLoaded("malformed"));
        assertFalse(code().isLoaded("noclass"));
        assertTrue(code().which("malformed").isEmpty());
        assertTrue(code().which("noclass").isEmpty());
    }

    @Test
    public void updateToMalformedHeaderKeepsPreviousVersion() throws Exception {
        String mod = "malupdate";
        Fixture f = Fixture.start(mod);
        TestModules.module(f.bsn, "2.0.0").header(mod) // no class=
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        f.assertV1StillCurrentAndServing();
        TestModules.module(f.bsn, "3.0.0").header(mod + ";class=\"" + TestModules.ECHO_CLASS) // unterminated quote
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        f.assertV1StillCurrentAndServing();
    }

    // ------------------------------------------------------------------ (c) the new version's activator throws

    @Test
    public void updateWhoseActivatorThrowsKeepsPreviousVersion() throws Exception {
        String mod = "badactivator";
        Fixture f = Fixture.start(mod);
        BundleException e = assertThrows(BundleException.class, () -> TestModules.module(f.bsn, "2.0.0")
                .module(mod, TestModules.ECHO_CLASS).activator(TestModules.FAILING_ACTIVATOR_CLASS)
                .classes(TestModules.ECHO_V2, TestModules.FAILING_ACTIVATOR).updateOf(f.bundle));
        assertTrue(String.valueOf(e), e.getCause() == null || String.valueOf(e.getCause()).contains("FailingActivator")
                || e.getMessage().contains("Activator"));
        assertFalse("the failed update did not start", f.bundle.getState() == Bundle.ACTIVE);
        f.assertV1StillCurrentAndServing();
    }

    /**
     * A refresh after a refused update: the bundle's newest revision is the refused one, the current version is the
     * previous revision (kept by its anchor), which the refresh takes away. The current version must go on serving.
     */
    @Test
    public void refreshAfterARefusedUpdateKeepsServing() throws Exception {
        String mod = "refusedrefresh";
        Fixture f = Fixture.start(mod);
        TestModules.module(f.bsn, "2.0.0").module(mod, "hotcode.itest.mod.Missing")
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        f.assertV1StillCurrentAndServing();
        Itest.refresh(f.bundle);
        f.assertV1StillCurrentAndServing();
        assertEquals("helper-v1", f.inbox.ask(f.process, "helper"));
    }

    /** After a refused version, a good update still works as usual. */
    @Test
    public void goodUpdateAfterARefusedOne() throws Exception {
        String mod = "recovers";
        Fixture f = Fixture.start(mod);
        TestModules.module(f.bsn, "2.0.0").module(mod, "hotcode.itest.mod.Missing")
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        f.assertV1StillCurrentAndServing();
        TestModules.module(f.bsn, "3.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(f.bundle);
        assertEquals("3.0.0", currentVersion(mod));
        assertEquals("1.0.0", Itest.which(mod).old().orElseThrow().version());
        assertEquals("v2", Hotcode.call(mod, "vsn"));
        assertEquals("v1", f.inbox.ask(f.process, "local"));
        assertEquals("v2", f.inbox.ask(f.process, "qualified"));
    }

    // ------------------------------------------------------------------ (d) send to a dead pid

    @Test
    public void sendToDeadPidIsADeadLetter() throws Exception {
        Pid dead = Hotcode.spawn(() -> Next.done());
        Itest.awaitExit(dead);
        long before = Hotcode.deadLetterCount();
        Tuple message = tuple(atom("hello"), 42);
        Hotcode.send(dead, message); // no exception
        assertEquals(before + 1, Hotcode.deadLetterCount());
        List<DeadLetter> recent = Hotcode.recentDeadLetters();
        DeadLetter last = recent.get(recent.size() - 1);
        assertEquals(dead, last.to());
        assertEquals(message, last.message());
        assertEquals(Hotcode.NOPROC, last.reason());
    }

    // ------------------------------------------------------------------ (e) undef

    @Test
    public void qualifiedCallsThatCannotResolveAreUndef() throws Exception {
        Fixture f = Fixture.start("undefs");
        UndefException noFunction = assertThrows(UndefException.class, () -> Hotcode.call("undefs", "nosuch", 1, "x"));
        assertUndef(noFunction, "undefs", "nosuch", 2);
        UndefException wrongArity = assertThrows(UndefException.class, () -> Hotcode.call("undefs", "vsn", 1));
        assertUndef(wrongArity, "undefs", "vsn", 1);
        UndefException noModule = assertThrows(UndefException.class, () -> Hotcode.call("nosuchmodule", "f"));
        assertUndef(noModule, "nosuchmodule", "f", 0);
        assertThrows(UndefException.class, () -> Hotcode.spawn("nosuchmodule", "loop", 1));
        assertEquals("v1", Hotcode.call("undefs", "vsn"));

        f.bundle.uninstall(); // delete: no current version any more
        assertFalse(code().isLoaded("undefs"));
        UndefException deleted = assertThrows(UndefException.class, () -> Hotcode.call("undefs", "vsn"));
        assertUndef(deleted, "undefs", "vsn", 0);
    }

    private static void assertUndef(UndefException e, String module, String function, int arity) {
        assertEquals(module, e.module());
        assertEquals(function, e.function());
        assertEquals(arity, e.arity());
        assertTrue(e.getMessage(), e.getMessage().contains(module + ":" + function + "/" + arity));
    }

    // ------------------------------------------------------------------ fixture

    /** A module at v1 (echo-v1) with one process in its loop. */
    private static final class Fixture {
        final String module;
        final String bsn;
        final Bundle bundle;
        final Inbox inbox;
        final Pid process;

        private Fixture(String module) throws BundleException {
            this.module = module;
            this.bsn = "hotcode.itest." + module;
            this.bundle = TestModules.module(bsn, "1.0.0").module(module, TestModules.ECHO_CLASS)
                    .classes(TestModules.ECHO_V1).start(context());
            this.inbox = Inbox.open();
            this.process = Hotcode.spawn(module, "loop", module, inbox.pid());
            assertEquals("v1", inbox.ask(process, "local"));
        }

        static Fixture start(String module) throws BundleException {
            return new Fixture(module);
        }

        void assertV1StillCurrentAndServing() {
            assertTrue(code().isLoaded(module));
            ModuleInfo info = Itest.which(module);
            assertEquals("the previous version stays current: " + info, "1.0.0", currentVersion(module));
            assertTrue("nothing became old: " + info, info.old().isEmpty());
            assertEquals("v1", Hotcode.call(module, "vsn"));
            assertTrue(Hotcode.isAlive(process));
            assertEquals("v1", inbox.ask(process, "local"));
            assertEquals("v1", inbox.ask(process, "qualified"));
            assertFalse(code().checkProcessCode(process, module));
            Pid fresh = Hotcode.spawn(module, "loop", module, inbox.pid());
            assertEquals("a new process still gets v1", "v1", inbox.ask(fresh, "local"));
            Hotcode.send(fresh, tuple(atom("stop"), inbox.pid()));
        }
    }
}
