package hotcode.runtime.impl.osgi;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.osgi.framework.BundleException;

/**
 * What a restore's start retries: Felix's refusal to wait for its global lock (a refresh or resolve on another thread
 * holds it while the restoring thread holds the bundle's lock), seen in a full test run as a restore that left the
 * module's bundle stopped; any other failure is reported at once.
 */
public class RestoreLockTest {
    @Test
    public void felixsGlobalLockRefusalIsContentionAndOtherErrorsAreNot() {
        BundleException felix = new BundleException("Unable to resolve hotcode.itest.counter [12](R 12.3): ...",
                BundleException.RESOLVE_ERROR, new Exception("Unable to acquire global lock for resolve."));
        assertTrue(ModuleExtender.lockContention(felix));
        assertTrue(ModuleExtender.lockContention(new BundleException("Unable to acquire global lock for resolve.")));
        assertFalse(ModuleExtender.lockContention(new BundleException("Unable to resolve: missing requirement",
                BundleException.RESOLVE_ERROR)));
        assertFalse(ModuleExtender.lockContention(new BundleException("Activator start error",
                BundleException.ACTIVATOR_ERROR, new IllegalStateException("boom"))));
    }
}
