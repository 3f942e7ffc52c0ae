package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/** Boots the real Felix with the runtime and pingpong v1; both must be ACTIVE. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FrameworkSmokeIT {

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void runtimeAndPingPongAreActive() {
        BundleContext context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        assertEquals("org.apache.felix.framework", context.getBundle(0).getSymbolicName());
        assertActive(context, "hotcode.runtime");
        assertActive(context, "hotcode.pingpong");
    }

    private static void assertActive(BundleContext context, String symbolicName) {
        Bundle found = null;
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                found = bundle;
            }
        }
        assertNotNull(symbolicName + " is not installed", found);
        assertEquals(symbolicName + " state", Bundle.ACTIVE, found.getState());
    }
}
