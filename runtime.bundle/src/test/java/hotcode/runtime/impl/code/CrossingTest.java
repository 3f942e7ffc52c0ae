package hotcode.runtime.impl.code;

import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * When values are checked at all: only while their target's module has two class loaders (two versions, or one
 * version re-wired by a refresh); a module with one is not walked. Whether a check refuses what it should is
 * RouterTest's and the servers' tests' (a value of version 1 reaching version 2).
 */
public class CrossingTest extends KernelTest {

    @Test
    public void onlyAModuleWithTwoLoadersIsChecked() throws Exception {
        ModuleVersion v1 = Modules.load(k, "crossing_a", Mod.class, "1.0.0");
        ModuleVersion other = Modules.load(k, "crossing_b", Mod.class, "1.0.0");
        assertFalse("one version loaded: nothing to check", v1.twoLoaders());
        Object token = Class.forName(Mod.Token.class.getName(), true, v1.loader())
                .getDeclaredConstructor().newInstance();
        Crossing.check("message", token, v1); // its own version's value: not checked, and would pass anyway

        ModuleVersion v2 = Modules.load(k, "crossing_a", Mod.class, "2.0.0");
        assertTrue("old and current: both checked", v1.twoLoaders() && v2.twoLoaders());
        assertFalse("another module's versions are not affected", other.twoLoaders());
        assertThrows(IncompatibleValueException.class, () -> Crossing.check("message", token, v2));

        k.code().purge("crossing_a");
        assertFalse("after the purge, the current version is alone again", v2.twoLoaders());
        Crossing.check("message", token, v2); // a purged version's value is no version's any more: it passes, as before
    }

    @Test
    public void aVersionRewiredByARefreshIsChecked() {
        ModuleVersion v = Modules.load(k, "crossing_c", Mod.class, "1.0.0");
        assertFalse(v.twoLoaders());
        ModuleSlot slot = k.code().registry().slot("crossing_c");
        slot.rebind(v, ModuleVersion.bind(Modules.source("crossing_c", Mod.class, "1.0.0"))); // a new class loader
        assertTrue("the same version before and after its refresh: two loaders", v.twoLoaders());
    }
}
