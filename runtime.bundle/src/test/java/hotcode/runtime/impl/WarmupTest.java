package hotcode.runtime.impl;

import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The start-up warm-ups leave nothing behind: no module, no process. */
public class WarmupTest extends KernelTest {
    @Test
    public void theWarmupsLeaveNoModuleAndNoProcess() {
        ExitPathWarmup.run(k);
        UpgradePathWarmup.run(k);
        assertEquals(0, k.processes().count());
        assertTrue(k.codeServer().modules().isEmpty());
    }
}
