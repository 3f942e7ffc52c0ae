package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.spi.node.ReleaseBarrier;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A module's load coordinated across nodes ({@code hotcode:cluster load <module> <url>}): the load consults the
 * thread's {@link ReleaseBarrier} once the module is prepared (new version loaded, not current; servers suspended,
 * their states migrated and staged), and commits only when it says so; else it rolls back as when a codeChange fails.
 */
public class LoadBarrierTest extends KernelTest {
    private static final int N = 5;

    @After
    public void noBarrier() {
        ReleaseBarrier.set(null);
    }

    private List<Pid> servers() throws Exception {
        ModuleVersion v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Class<?> state = v1.loader().loadClass(Srv.State.class.getName());
        List<Pid> out = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            out.add(GenServer.start(counter, Records.convert(Map.of("n", 100 + i, "log", List.of(), "upgrade", "ok"), state)));
        }
        return out;
    }

    private String current() {
        return k.code().which("srv").orElseThrow().current().orElseThrow().version();
    }

    @Test
    public void theBarrierIsAskedWhenPreparedAndItsAbortRollsTheLoadBack() throws Exception {
        List<Pid> ps = servers();
        List<String> seen = new ArrayList<>();
        ReleaseBarrier.set(label -> {
            seen.add(label + ", current " + current());
            return "node c: codeChange of srv failed";
        });
        UpgradeOutcome o = k.code().upgrade(Modules.source("srv", Srv.class, "2.0.0"));
        assertEquals("asked once, prepared, before anything is current", List.of("srv 2.0.0, current 1.0.0"), seen);
        assertEquals(UpgradeOutcome.Result.ABORTED, o.result());
        assertTrue(o.cause().getMessage(), o.cause().getMessage().contains("node c: codeChange of srv failed"));
        assertEquals("1.0.0", current());
        assertTrue("nothing old", k.code().which("srv").orElseThrow().old().isEmpty());
        assertEquals("the servers run on, with their state", 103, GenServer.call(ps.get(3), atom("get")));
    }

    @Test
    public void whenTheBarrierSaysCommitTheLoadCommits() throws Exception {
        List<Pid> ps = servers();
        ReleaseBarrier.set(label -> null);
        UpgradeOutcome o = k.code().upgrade(Modules.source("srv", Srv.class, "2.0.0"));
        assertEquals(UpgradeOutcome.Result.COMMITTED, o.result());
        assertEquals("2.0.0", current());
        assertEquals(List.of("upgraded from 1.0.0"), Records.fields(hotcode.runtime.api.Sys.getState(ps.get(0))).get("log"));
    }
}
