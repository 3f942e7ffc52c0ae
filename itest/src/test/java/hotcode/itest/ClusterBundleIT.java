package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import hotcode.runtime.api.Global;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;

import java.util.List;

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

/**
 * The cluster bundle in the real Felix: JGroups embedded in it loads its protocol classes, XML maps and our AUTH
 * token through the bundle's class loader, the node joins (as the only member) a cluster over TCP on loopback, the
 * runtime reports the node's name, and a global name works.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ClusterBundleIT {
    private static final String NODE = "it-node";

    @Configuration
    public Option[] config() {
        return HotcodeOptions.options(
                frameworkProperty("hotcode.cluster.name").value("itest-" + ProcessHandle.current().pid()),
                frameworkProperty("hotcode.cluster.node").value(NODE),
                frameworkProperty("hotcode.cluster.secret").value("it-secret"),
                frameworkProperty("hotcode.cluster.port").value("7850"),
                bundle(HotcodeOptions.fileUrl("cluster.bundle/target/hotcode.cluster.jar")).start());
    }

    @Test
    public void theNodeJoinsItsClusterInsideFelix() throws Exception {
        BundleContext context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Bundle cluster = null;
        for (Bundle b : context.getBundles()) {
            if ("hotcode.cluster".equals(b.getSymbolicName())) {
                cluster = b;
            }
        }
        assertEquals("hotcode.cluster state", Bundle.ACTIVE, cluster.getState());
        long deadline = System.currentTimeMillis() + 30_000;
        while (!NODE.equals(Hotcode.node()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20); // the node joins on a thread of its own (discovery takes a moment)
        }
        assertEquals("the runtime's node name once joined", NODE, Hotcode.node());
        assertEquals(List.of(), Hotcode.nodes());
        Pid p = Hotcode.spawn(() -> {
            Hotcode.receive();
            return null;
        });
        assertEquals(NODE, p.node());
        assertTrue(Global.register("it-service", p));
        assertEquals(p, Global.whereis("it-service"));
        Hotcode.send(p, "stop");
    }
}
