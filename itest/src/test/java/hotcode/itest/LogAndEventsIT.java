package hotcode.itest;

import static hotcode.itest.Itest.await;
import static hotcode.itest.Itest.context;
import static hotcode.itest.Itest.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.Version;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

import hotcode.runtime.api.Hotcode;

/**
 * The runtime speaking OSGi on real Felix with Felix Log and EventAdmin: a load and a rollback reach a
 * {@link LogReaderService} on the {@code hotcode.*} loggers (the rollback's error with its exception), and EventAdmin
 * handlers get {@code hotcode/code/LOADED} and {@code hotcode/code/ROLLED_BACK} with the module and its versions.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LogAndEventsIT {
    static final String ENTRY = "hotcode.itest.counter.Counter";

    private final List<LogEntry> entries = new CopyOnWriteArrayList<>();
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private LogReaderService reader;
    private LogListener listener;
    private ServiceRegistration<EventHandler> handler;

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        // R7's default level is WARN: the loads' info entries are wanted too
        return HotcodeOptions.options(frameworkProperty("org.osgi.service.log.admin.loglevel").value("DEBUG"),
                frameworkProperty("hotcode.migration.timeout.ms").value("3000"));
    }

    @Before
    public void listen() {
        ServiceReference<LogReaderService> ref = context().getServiceReference(LogReaderService.class);
        assertNotNull("Felix Log's LogReaderService (HotcodeOptions installs it)", ref);
        reader = context().getService(ref);
        listener = e -> {
            if (e.getLoggerName().startsWith("hotcode.")) {
                entries.add(e);
            }
        };
        reader.addLogListener(listener);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, "hotcode/*");
        handler = context().registerService(EventHandler.class, events::add, props);
    }

    @After
    public void stopListening() {
        System.clearProperty("hotcode.itest.failOn");
        reader.removeLogListener(listener);
        handler.unregister();
    }

    private static TestModules.Spec version(String version) {
        return TestModules.module("hotcode.itest.logevents", version).module("logevents", ENTRY)
                .classes("counter-entry", version.startsWith("1") ? "counter-v1" : "counter-v2");
    }

    private LogEntry awaitEntry(String what, Predicate<LogEntry> p) throws InterruptedException {
        await("a log entry: " + what + " (have " + describe() + ")", () -> entries.stream().anyMatch(p));
        return entries.stream().filter(p).findFirst().orElseThrow();
    }

    private Event awaitEvent(String topic, Predicate<Event> p) throws InterruptedException {
        Predicate<Event> match = e -> e.getTopic().equals(topic) && p.test(e);
        await("an event " + topic + " (have " + events.stream().map(Event::toString).toList() + ")",
                () -> events.stream().anyMatch(match));
        return events.stream().filter(match).findFirst().orElseThrow();
    }

    private String describe() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : entries) {
            out.add(e.getLogLevel() + " " + e.getLoggerName() + " " + e.getMessage());
        }
        return out.toString();
    }

    /** A release refused or rolled back is an event too, so a script or monitor sees it without reading the log. */
    @Test
    public void aFailedReleaseIsPostedWithItsCause() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("release");
        java.nio.file.Path file = dir.resolve("bad.release");
        java.nio.file.Files.writeString(file, "release: bad 1\nmodule hotcode.itest.nosuch missing.jar\n");
        hotcode.runtime.api.HotcodeException e = Itest.assertThrows(hotcode.runtime.api.HotcodeException.class,
                () -> Itest.code().installRelease(file.toString()));
        Event failed = awaitEvent("hotcode/release/FAILED", x -> file.toString().equals(x.getProperty("source")));
        assertEquals(e.getMessage(), failed.getProperty("cause"));
        assertTrue(String.valueOf(failed.getProperty("cause")), String.valueOf(failed.getProperty("cause")).contains("missing.jar"));
        assertTrue("no INSTALLED event for it", events.stream().noneMatch(x -> x.getTopic().equals("hotcode/release/INSTALLED")));
    }

    @Test
    public void aLoadAndARollbackReachTheLogServiceAndEventAdmin() throws Exception {
        Bundle b = version("1.0.0").start(context());
        assertEquals("1.0.0", currentVersion("logevents"));
        LogEntry loaded = awaitEntry("the load", e -> e.getMessage().startsWith("loaded logevents 1.0.0"));
        assertEquals("hotcode.code", loaded.getLoggerName());
        assertEquals(LogLevel.INFO, loaded.getLogLevel());
        assertEquals("the runtime bundle logs it", "hotcode.runtime", loaded.getBundle().getSymbolicName());
        Event load = awaitEvent("hotcode/code/LOADED", e -> "logevents".equals(e.getProperty("module")));
        assertEquals("1.0.0", load.getProperty("version"));
        assertEquals(b.getBundleId(), load.getProperty("bundle.id"));
        assertEquals("a first load has no old version", null, load.getProperty("old.version"));

        // a server whose codeChange to 2.0.0 fails: the upgrade rolls back
        Hotcode.call("logevents", "start", 1, "throw");
        System.setProperty("hotcode.itest.failOn", "throw");
        version("2.0.0").updateOf(b);
        assertEquals("1.0.0", currentVersion("logevents"));
        await("bundle back at 1.0.0", () -> b.getVersion().equals(Version.parseVersion("1.0.0")));

        LogEntry rollback = awaitEntry("the rollback", e -> e.getLogLevel() == LogLevel.ERROR
                && e.getMessage().startsWith("logevents: upgrade 1.0.0 -> 2.0.0 rolled back"));
        assertEquals("hotcode.upgrade", rollback.getLoggerName());
        assertNotNull("the rollback's entry carries its exception (the stack trace)", rollback.getException());
        Event rolledBack = awaitEvent("hotcode/code/ROLLED_BACK", e -> "logevents".equals(e.getProperty("module")));
        assertEquals("the version that stays current", "1.0.0", rolledBack.getProperty("version"));
        assertEquals("2.0.0", rolledBack.getProperty("failed.version"));
        assertEquals(1, rolledBack.getProperty("servers"));
        String cause = (String) rolledBack.getProperty("cause");
        assertTrue(cause, cause.contains("refuses mode throw"));
        assertTrue("the exception too", rolledBack.getProperty("exception") instanceof Throwable);
        assertEquals("no load of 2.0.0 was announced", Optional.empty(), events.stream()
                .filter(e -> e.getTopic().equals("hotcode/code/LOADED") && "2.0.0".equals(e.getProperty("version")))
                .findFirst());

        // a purge is posted with what it killed and how long it took
        System.clearProperty("hotcode.itest.failOn");
        version("3.0.0").updateOf(b);
        assertEquals("3.0.0", currentVersion("logevents"));
        Itest.code().purge("logevents");
        Event purged = awaitEvent("hotcode/code/PURGED", e -> "logevents".equals(e.getProperty("module"))
                && "1.0.0".equals(e.getProperty("version")));
        assertEquals("1.0.0", purged.getProperty("version"));
        assertTrue("duration.us: " + purged.getProperty("duration.us"),
                purged.getProperty("duration.us") instanceof Long d && d >= 0);
        b.uninstall();
    }
}
