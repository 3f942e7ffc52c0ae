package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
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
 * The router, after Erlang's code_SUITE {@code upgrade} case: after an update, a process still in v1 gets v1 from a
 * local call and v2 from a qualified call; once it re-enters through a qualified tail call, local calls give v2 and
 * it no longer runs old code.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RouterIT {
    private static final String MOD = "router";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    @Test
    public void localCallsStayQualifiedCallsMoveReentryMoves() throws Exception {
        Bundle bundle = TestModules.module("hotcode.itest.router", "1.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V1).start(context());
        assertEquals("1.0.0", currentVersion(MOD));
        Inbox inbox = Inbox.open();
        Pid p = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());

        assertEquals("v1", inbox.ask(p, "local"));
        assertEquals("v1", inbox.ask(p, "qualified"));
        assertFalse("no old code yet", code().checkProcessCode(p, MOD));
        assertEquals("v1", Hotcode.call(MOD, "vsn"));

        TestModules.module("hotcode.itest.router", "2.0.0").module(MOD, TestModules.ECHO_CLASS)
                .classes(TestModules.ECHO_V2).updateOf(bundle);
        assertEquals("2.0.0", currentVersion(MOD));
        assertEquals("1.0.0", Itest.which(MOD).old().orElseThrow().version());
        assertEquals("v2", Hotcode.call(MOD, "vsn"));

        assertTrue("the process still runs v1", code().checkProcessCode(p, MOD));
        assertEquals("local call stays in v1", "v1", inbox.ask(p, "local"));
        assertEquals("qualified call enters v2", "v2", inbox.ask(p, "qualified"));
        assertTrue("still in v1 after a (non-tail) qualified call returned", code().checkProcessCode(p, MOD));

        assertEquals("the re-entry is announced from v1", "v1", inbox.ask(p, "reenter"));
        assertEquals("after re-entry, local calls are v2", "v2", inbox.ask(p, "local"));
        assertFalse("no old frame after re-entry", code().checkProcessCode(p, MOD));
        assertEquals("v2", inbox.ask(p, "qualified"));
        assertEquals("nobody runs the old version", 0, Itest.which(MOD).old().orElseThrow().processes());
        assertTrue(Hotcode.isAlive(p));
    }
}
