package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.junit.Assert.assertTrue;

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
 * Old code stays usable after an update: a process still in v1 can load a class of v1's bundle that nothing had
 * loaded before the update, and gets v1's behaviour from it (the old revision is kept alive by its anchor).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class OldCodeUsableIT {
    private static final String MOD = "oldcode";
    private static final String BSN = "hotcode.itest.oldcode";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        // classes load lazily here (no preload at load): these tests pin what a revision's class loader still does
        // after an update and after a refresh, for classes first named then
        return HotcodeOptions.options(frameworkProperty("hotcode.load.preload.classes").value("0"));
    }

    @Test
    public void oldProcessLoadsAnUntouchedOldClass() throws Exception {
        Bundle bundle = TestModules.module(BSN, "1.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        Inbox inbox = Inbox.open();
        Pid old = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());
        assertEquals("v1", inbox.ask(old, "local")); // running; Helper not touched

        TestModules.module(BSN, "2.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);
        assertEquals("2.0.0", currentVersion(MOD));
        assertEquals(2, Itest.revisions(bundle));
        assertTrue(code().checkProcessCode(old, MOD));

        assertEquals("v1's Helper, first loaded after the update", "helper-v1", inbox.ask(old, "helper"));
        assertEquals("v1", inbox.ask(old, "local"));
        assertEquals("v2", inbox.ask(old, "qualified"));

        Pid fresh = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());
        assertEquals("a new process runs v2 and gets v2's Helper", "helper-v2", inbox.ask(fresh, "helper"));
        assertEquals("helper-v1", inbox.ask(old, "helper"));
        assertTrue(Hotcode.isAlive(old));
    }

    /**
     * The same after a refresh: the current version is re-bound to the refreshed wiring, and its anchor must hold
     * that wiring, so after the next update a process of it can still load classes nothing had loaded.
     */
    @Test
    public void oldCodeUsableAfterRefreshAndSecondUpdate() throws Exception {
        String mod = "secondcycle";
        String bsn = "hotcode.itest.secondcycle";
        Bundle bundle = TestModules.module(bsn, "1.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        TestModules.module(bsn, "2.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);
        Itest.refresh(bundle);
        assertEquals(1, Itest.revisions(bundle));

        Inbox inbox = Inbox.open();
        Pid p = Hotcode.spawn(mod, "loop", mod, inbox.pid()); // v2 on the refreshed wiring; Helper not loaded there
        assertEquals("v2", inbox.ask(p, "local"));

        TestModules.module(bsn, "3.0.0").module(mod, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V3).updateOf(bundle);
        assertEquals("3.0.0", currentVersion(mod));
        assertEquals("2.0.0", Itest.which(mod).old().orElseThrow().version());
        assertEquals("the refreshed v2 revision is kept", 2, Itest.revisions(bundle));
        assertTrue(code().checkProcessCode(p, mod));
        assertEquals("helper-v2", inbox.ask(p, "helper"));
        assertEquals("v2", inbox.ask(p, "local"));
        assertEquals("v3", inbox.ask(p, "qualified"));
    }
}
