package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.LogCapture;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** A configuration update reaches the objects the kernel made at start: purger, server upgrades, system monitor. */
public class KernelReconfigureTest extends KernelTest {
    private static Config with(long purge, long migration, SystemMonitor.Settings monitor) {
        return new Config(purge, migration, monitor, 100, 1000, false, Config.Warmup.BACKGROUND);
    }

    @Test(timeout = 60_000)
    public void aPurgeStartedAfterTheUpdateWaitsTheNewPurgeBound() throws Exception {
        k.reconfigure(with(50, 2000, SystemMonitor.Settings.DEFAULTS)); // the kernel was made with 2000 ms
        assertEquals(50, k.code().purgeBoundMillis());
        AtomicBoolean stop = new AtomicBoolean();
        try {
            Modules.load(k, "m", Mod.class, "1.0.0");
            Pid stubborn = Hotcode.spawn("m", "stubborn", stop, out);
            assertEquals("running", next());
            Modules.load(k, "m", Mod.class, "2.0.0");
            PurgeResult[] r = new PurgeResult[1];
            String log = LogCapture.during(() -> r[0] = k.code().purge("m"));
            assertEquals(List.of(stubborn), r[0].blockers());
            assertTrue(log, log.contains("still running after 50 ms: [" + stubborn + "]"));
        } finally {
            stop.set(true);
        }
    }

    @Test
    public void theMigrationBoundAndTheMonitorSettingsAreReplaced() {
        SystemMonitor.Settings s = new SystemMonitor.Settings(0, 10, 20);
        k.reconfigure(with(2000, 70, s));
        assertEquals(70, k.servers().upgrades().boundMillis());
        assertEquals(s, k.monitor().settings());
    }
}
