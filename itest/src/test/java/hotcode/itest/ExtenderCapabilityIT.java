package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import hotcode.runtime.api.Module;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

/**
 * The runtime provides {@code osgi.extender=hotcode.module}, and a module built with {@code @Module} (pingpong) requires
 * it: the framework wires the module's requirement to the runtime's capability, so a resolver that installs the
 * module finds the runtime through it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ExtenderCapabilityIT {
    /** org.osgi.namespace.extender.ExtenderNamespace's name (that class is not in osgi.core). */
    private static final String EXTENDER = "osgi.extender";

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    @Test
    public void theRuntimeProvidesTheExtenderCapability() {
        List<BundleCapability> caps = Itest.bundle("hotcode.runtime").adapt(BundleWiring.class)
                .getCapabilities(EXTENDER);
        assertEquals(caps.toString(), 1, caps.size());
        assertEquals(Module.EXTENDER, caps.get(0).getAttributes().get(EXTENDER));
        assertEquals(new Version(Module.EXTENDER_VERSION),
                caps.get(0).getAttributes().get("version"));
    }

    @Test
    public void theAnnotatedModuleCarriesTheHeaderAndIsWiredToTheRuntime() {
        Bundle pingpong = Itest.bundle("hotcode.pingpong");
        assertEquals("pingpong;class=\"hotcode.pingpong.PingPong\";commands=start",
                pingpong.getHeaders().get("Hotcode-Module"));
        List<BundleWire> wires = pingpong.adapt(BundleWiring.class)
                .getRequiredWires(EXTENDER);
        assertEquals(wires.toString(), 1, wires.size());
        BundleWire wire = wires.get(0);
        assertEquals("hotcode.runtime", wire.getProvider().getBundle().getSymbolicName());
        String filter = wire.getRequirement().getDirectives().get("filter");
        assertTrue(filter, filter.contains("(osgi.extender=hotcode.module)"));
        assertTrue(filter, filter.contains("(version>=1.0.0)(!(version>=2.0.0))"));
        assertEquals("loaded by the runtime", "1.0.0", Itest.currentVersion("pingpong"));
    }
}
