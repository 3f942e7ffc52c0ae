package hotcode.itest;

import static hotcode.itest.Itest.bundle;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.NamedProcess;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.testing.Inbox;

/**
 * The runtime owns processes, mailboxes and names, so they outlive every module update and refresh; the runtime
 * bundle itself is never stopped, updated or refreshed by them.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RuntimeSurvivesIT {
    private static final String MOD = "survivor";
    private static final String BSN = "hotcode.itest.survivor";
    private static final String NAME = "survivor_proc";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    @Test
    public void processesMailboxesAndNamesSurviveUpdateAndRefresh() throws Exception {
        BundleContext context = context();
        Bundle runtime = bundle("hotcode.runtime");
        long runtimeModified = runtime.getLastModified();
        BundleRevision runtimeRevision = runtime.adapt(BundleRevision.class);
        BundleWiring runtimeWiring = runtime.adapt(BundleWiring.class);
        List<String> runtimeEvents = new CopyOnWriteArrayList<>();
        BundleListener runtimeWatch = e -> {
            if (e.getBundle().equals(runtime)) {
                runtimeEvents.add(e.getType() + " " + e);
            }
        };
        context.addBundleListener(runtimeWatch);
        try {
            Bundle bundle = TestModules.module(BSN, "1.0.0").module(MOD, TestModules.ECHO_CLASS)
                    .classes(TestModules.ECHO_V1).start(context);
            FrameworkWiring fw = context.getBundle(0).adapt(FrameworkWiring.class);
            assertFalse("the runtime must not be in the module's refresh closure",
                    fw.getDependencyClosure(List.of(bundle)).contains(runtime));

            Inbox inbox = Inbox.open();
            Pid p = Hotcode.spawn(MOD, "loop", MOD, inbox.pid());
            Hotcode.register(NAME, p);
            ServiceReference<NamedProcess> service = namedService(context);
            Object serviceId = service.getProperty("service.id");
            assertEquals(p, context.getService(service).pid());
            context.ungetService(service);

            // 1. messages queued before an update are received after it, in order
            assertEquals("v1", inbox.ask(p, "hold"));
            Hotcode.send(p, seq(1));
            Hotcode.send(NAME, seq(2));
            sendViaService(context, seq(3));

            TestModules.module(BSN, "2.0.0").module(MOD, TestModules.ECHO_CLASS)
                    .classes(TestModules.ECHO_V2).updateOf(bundle);
            assertEquals("2.0.0", currentVersion(MOD));
            assertSurvived(context, p, serviceId);
            Hotcode.send(NAME, seq(4)); // after the update, behind the others

            Hotcode.send(p, atom("go"));
            assertEquals("v1", inbox.next("released", 2).get(1));
            assertEquals(List.of(echo(1, "v1"), echo(2, "v1"), echo(3, "v1"), echo(4, "v1")), next(inbox, 4));
            assertEquals("v1", inbox.ask(p, "reenter"));
            assertEquals("v2", inbox.ask(p, "local"));

            // 2. ... and across a refresh (which purges v1; p is in v2 and survives)
            assertEquals("v2", inbox.ask(p, "hold"));
            Hotcode.send(p, seq(5));
            Hotcode.send(NAME, seq(6));
            sendViaService(context, seq(7));

            Itest.refresh(bundle);
            assertSurvived(context, p, serviceId);
            assertEquals(1, Itest.revisions(bundle));
            Hotcode.send(NAME, seq(8));

            Hotcode.send(p, atom("go"));
            assertEquals("v2", inbox.next("released", 2).get(1));
            assertEquals(List.of(echo(5, "v2"), echo(6, "v2"), echo(7, "v2"), echo(8, "v2")), next(inbox, 4));
            assertEquals("v2", inbox.ask(p, "qualified"));
        } finally {
            context.removeBundleListener(runtimeWatch);
        }

        assertEquals("the runtime bundle saw no life-cycle event", List.of(), runtimeEvents);
        assertEquals(Bundle.ACTIVE, runtime.getState());
        assertEquals(runtimeModified, runtime.getLastModified());
        assertSame(runtimeRevision, runtime.adapt(BundleRevision.class));
        assertSame(runtimeWiring, runtime.adapt(BundleWiring.class));
        assertTrue(runtimeWiring.isCurrent());
        assertTrue(runtimeWiring.isInUse());
        assertEquals(1, Itest.revisions(runtime));
    }

    private static void assertSurvived(BundleContext context, Pid p, Object serviceId) {
        assertTrue(p + " is alive", Hotcode.isAlive(p));
        assertTrue(Hotcode.processes().contains(p));
        assertEquals("the name still points at the process", p, Hotcode.whereis(NAME));
        ServiceReference<NamedProcess> service = namedService(context);
        assertEquals("the NamedProcess service is the same registration", serviceId, service.getProperty("service.id"));
        assertEquals("the NamedProcess service belongs to the runtime", "hotcode.runtime",
                service.getBundle().getSymbolicName());
        NamedProcess named = context.getService(service);
        try {
            assertEquals(p, named.pid());
            assertEquals(NAME, named.name());
        } finally {
            context.ungetService(service);
        }
    }

    private static ServiceReference<NamedProcess> namedService(BundleContext context) {
        try {
            Collection<ServiceReference<NamedProcess>> refs = context.getServiceReferences(NamedProcess.class,
                    "(" + NamedProcess.NAME_PROPERTY + "=" + NAME + ")");
            assertEquals("one NamedProcess service for " + NAME, 1, refs.size());
            ServiceReference<NamedProcess> ref = refs.iterator().next();
            assertNotNull(ref);
            return ref;
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static void sendViaService(BundleContext context, Object message) {
        ServiceReference<NamedProcess> ref = namedService(context);
        try {
            context.getService(ref).send(message);
        } finally {
            context.ungetService(ref);
        }
    }

    private static Tuple seq(int n) {
        return tuple(atom("seq"), n);
    }

    private static Tuple echo(int n, String vsn) {
        return tuple(atom("seq"), n, vsn);
    }

    private static List<Object> next(Inbox inbox, int n) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(inbox.next());
        }
        return out;
    }
}
