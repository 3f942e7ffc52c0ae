package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.LogCapture;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The start-up warm-ups leave nothing behind, and while they run (in the background, beside real work) nothing of
 * them shows: no module in {@code modules()}/{@code which}, no process in {@code processes()}, no log line; and a
 * user module loaded, called, upgraded and purged meanwhile is not disturbed.
 */
public class WarmupTest extends KernelTest {
    @Test
    public void theWarmupsLeaveNoModuleAndNoProcess() {
        ExitPathWarmup.run(k);
        UpgradePathWarmup.run(k);
        assertEquals(0, k.processes().count());
        assertTrue("no version left, internal ones included: " + k.registry().versions(), k.registry().versions().isEmpty());
    }

    @Test(timeout = 120_000)
    public void whileTheWarmupsRunNothingOfThemShowsAndAUserModuleIsNotDisturbed() throws Exception {
        List<String> seen = new ArrayList<>(); // the first few things of the warm-ups that showed
        String log = LogCapture.during(() -> {
            Thread warmups = Thread.ofPlatform().start(() -> {
                ExitPathWarmup.run(k);
                UpgradePathWarmup.run(k);
            });
            int round = 0;
            while (warmups.isAlive()) {
                // the user's own work, each round: load (an upgrade from the second round on), call, spawn, purge
                Modules.load(k, "m", Mod.class, (round % 2 + 1) + ".0." + round); // Mod answers v + its major
                assertEquals(round % 2 == 0 ? "v1" : "v2", Hotcode.call("m", "version"));
                Pid p = Hotcode.spawn("m", "loop", out);
                for (ModuleInfo m : k.codeServer().modules()) {
                    if (!m.name().equals("m") && seen.size() < 10) {
                        seen.add("module " + m.name());
                    }
                }
                for (String internal : List.of(ExitPathWarmup.MODULE, UpgradePathWarmup.MODULE)) {
                    k.codeServer().which(internal).filter(i -> seen.size() < 10).ifPresent(i -> seen.add("which " + i));
                }
                for (Pid q : Hotcode.processes()) {
                    if (((Proc) q).isInternal() && seen.size() < 10) {
                        seen.add("process " + q);
                    }
                }
                assertTrue("a user process has a user pid: " + p, ((Proc) p).id() > 0 && Hotcode.processes().contains(p));
                Hotcode.exit(p, Hotcode.KILL);
                k.codeServer().purge("m");
                round++;
            }
            warmups.join();
        });
        assertEquals("nothing of the warm-ups listed while they ran", List.of(), seen);
        for (String line : log.split("\n")) {
            assertFalse("a warm-up module in the log: " + line, line.contains("hotcode.warmup"));
            assertFalse("a warm-up's server upgrade in the log: " + line, line.contains("upgraded 2000 server"));
        }
        assertTrue("the warm-ups cleaned up: " + k.registry().versions(),
                k.registry().versions().stream().noneMatch(v -> v.isInternal()));
    }

    @Test(timeout = 60_000)
    public void aCancelledWarmupStartsNothingMoreAndStillCleansUp() throws Exception {
        Thread t = Thread.ofPlatform().start(() -> UpgradePathWarmup.run(k, () -> true));
        t.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertFalse(t.isAlive());
        assertEquals(0, k.processes().count());
        assertTrue(k.registry().versions().isEmpty());
    }
}
