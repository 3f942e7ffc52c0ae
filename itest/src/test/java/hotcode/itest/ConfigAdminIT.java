package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.SystemAlert;
import java.util.Hashtable;
import java.util.List;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * With Felix ConfigAdmin present, the configuration {@code hotcode.runtime} reaches the running runtime: lowering the
 * monitor's {@code hotcode.monitor.long_message_queue} makes it report a mailbox it ignored before. Only this test
 * installs ConfigAdmin (the jar from the test class path), so the other tests run the runtime without it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigAdminIT {

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        String configAdmin = ConfigurationAdmin.class.getProtectionDomain().getCodeSource().getLocation().toString();
        return HotcodeOptions.options(bundle(configAdmin).start());
    }

    @Test
    public void aLongMessageQueueSetThroughConfigAdminIsReported() throws Exception {
        BundleContext context = Itest.context();
        List<BundleWire> cm = Itest.bundle("hotcode.runtime").adapt(BundleWiring.class)
                .getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE).stream()
                .filter(w -> "org.osgi.service.cm".equals(w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE)))
                .toList();
        assertEquals("the runtime's optional import of org.osgi.service.cm is wired", 1, cm.size());

        Pid hoarder = Hotcode.spawn(() -> {
            Hotcode.receive("never"); // keeps every other message in its mailbox
            return Next.done();
        });
        for (int i = 0; i < 50; i++) {
            Hotcode.send(hoarder, i);
        }
        assertTrue("no alert at the default limit: " + Hotcode.systemAlerts(), alerts(hoarder).isEmpty());

        ServiceReference<ConfigurationAdmin> ref = context.getServiceReference(ConfigurationAdmin.class);
        ConfigurationAdmin admin = context.getService(ref);
        Configuration c = admin.getConfiguration("hotcode.runtime", null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("hotcode.monitor.long_message_queue", "10"); // as a .cfg file gives it: text
        props.put("hotcode.monitor.interval.ms", 20L);         // as a typed .config gives it
        c.update(props);

        Itest.await("a long_message_queue alert for " + hoarder + " after the configuration update",
                () -> !alerts(hoarder).isEmpty());
        SystemAlert a = alerts(hoarder).get(0);
        assertEquals("has 50 messages in its mailbox (limit 10)", a.detail());

        c.delete(); // back to the framework properties: the default limit, and the alert clears
        Itest.await("the alert for " + hoarder + " cleared once the configuration is deleted",
                () -> alerts(hoarder).isEmpty());
    }

    private static List<SystemAlert> alerts(Pid pid) {
        return Hotcode.systemAlerts().stream()
                .filter(a -> a.pid().equals(pid) && a.kind() == SystemAlert.Kind.LONG_MESSAGE_QUEUE).toList();
    }
}
