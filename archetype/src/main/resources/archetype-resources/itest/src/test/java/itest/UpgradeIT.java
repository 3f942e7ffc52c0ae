package ${package}.itest;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Sys;
import hotcode.testing.DeadLetters;
import hotcode.testing.HotcodeExam;
import hotcode.testing.Inbox;
import hotcode.testing.Modules;

/**
 * The upgrade of {@code ${moduleName}} from 1.0.0 to 2.0.0 on a real Felix framework, as an operator would do it: the
 * server runs 1.0.0 and counts; the bundle is updated to 2.0.0 while a client keeps sending; the server is the same
 * process, its state migrated by 2.0.0's {@code codeChange}, and every message sent is counted (none lost, no dead
 * letter); a refresh purges 1.0.0.
 *
 * <p>The test talks to the module in terms (atoms, tuples, strings), never through its classes: a test class cannot
 * name a class of a module version (each version has its own class loader).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpgradeIT {
    private static final String MODULE = "${moduleName}";
    private static final Atom ADD = atom("add");
    private static final Atom COUNT = atom("count");
    private static final Atom TOTAL = atom("total");
    private static final Atom VSN = atom("vsn");
    private static final Atom DONE = atom("done");
    /** Adds a client sends while the bundle is updated. */
    private static final int SENT_DURING_UPDATE = 500;

    @Configuration
    public Option[] config() {
        return HotcodeExam.options(); // Felix, the runtime, the test kit
    }

    @Test
    public void upgradeMigratesTheStateAndLosesNothing() throws Exception {
        Bundle bundle = Modules.install(Modules.jar("module.v1.jar"));
        assertEquals("1.0.0", Modules.currentVersion(MODULE));
        Pid server = (Pid) Hotcode.call(MODULE, "start");
        assertEquals(server, Hotcode.whereis(MODULE));

        // 1.0.0 serves
        assertEquals(1L, GenServer.call(MODULE, tuple(ADD, "apple")));
        assertEquals(2L, GenServer.call(MODULE, tuple(ADD, "apple")));
        assertEquals(1L, GenServer.call(MODULE, tuple(ADD, "pear")));
        assertEquals("1.0.0", GenServer.call(MODULE, VSN));
        assertEquals(Map.of("counts", Map.of("apple", 2L, "pear", 1L)), Records.neutral(Sys.getState(MODULE)));
        DeadLetters deadLetters = DeadLetters.mark();

        // a client casts while the bundle is updated: whatever version takes each add, none may be lost
        Inbox inbox = Inbox.open();
        Hotcode.spawn(() -> {
            for (int i = 0; i < SENT_DURING_UPDATE; i++) {
                GenServer.cast(MODULE, tuple(ADD, "plum"));
            }
            Hotcode.send(inbox.pid(), DONE);
            return Next.done();
        });
        Modules.update(bundle, Modules.jar("module.v2.jar"));
        assertEquals(DONE, inbox.next());

        // 2.0.0 serves, from the same process, with the state migrated and every add counted
        assertEquals("2.0.0", Modules.currentVersion(MODULE));
        assertEquals("the server was migrated, not restarted", server, Hotcode.whereis(MODULE));
        assertEquals("2.0.0", GenServer.call(MODULE, VSN));
        long total = 3 + SENT_DURING_UPDATE;
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("apple", 2L);
        counts.put("pear", 1L);
        counts.put("plum", (long) SENT_DURING_UPDATE);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("counts", counts);
        state.put("total", total);
        assertEquals(state, Records.neutral(Sys.getState(MODULE)));
        assertEquals(total, GenServer.call(MODULE, TOTAL));
        assertEquals(3L, GenServer.call(MODULE, tuple(ADD, "apple")));
        assertEquals((long) SENT_DURING_UPDATE, GenServer.call(MODULE, tuple(COUNT, "plum")));

        // the refresh purges 1.0.0; the server, on 2.0.0 already, keeps running
        Modules.refreshAndAwaitPurge(bundle);
        assertTrue("no old code: " + Modules.which(MODULE), Modules.which(MODULE).old().isEmpty());
        assertEquals(server, Hotcode.whereis(MODULE));
        assertEquals(total + 1, GenServer.call(MODULE, TOTAL));
        deadLetters.assertNone();
    }
}
