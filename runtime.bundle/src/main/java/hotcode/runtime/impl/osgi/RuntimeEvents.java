package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.upgrade.UpgradeOutcome;
import org.osgi.framework.BundleContext;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.util.tracker.ServiceTracker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Posts what the code server does, and dead-letter bursts, to EventAdmin, so other bundles and monitoring can react
 * (topics and properties: the runtime bundle's README). Posted asynchronously ({@link EventAdmin#postEvent}): a
 * purge tells its listeners with the module's lock held, and no handler may hold up a load or a purge. Made by
 * {@link #open} only when the runtime is wired to {@code org.osgi.service.event} (its import is optional); events
 * posted while no EventAdmin is there are dropped.
 */
public final class RuntimeEvents implements CodeServerImpl.Listener, LongConsumer, AutoCloseable {
    public static final String LOADED = "hotcode/code/LOADED";
    public static final String PURGED = "hotcode/code/PURGED";
    public static final String ROLLED_BACK = "hotcode/code/ROLLED_BACK";
    public static final String RELEASE_INSTALLED = "hotcode/release/INSTALLED";
    public static final String RELEASE_FAILED = "hotcode/release/FAILED";
    public static final String DEAD_LETTER_BURST = "hotcode/deadletters/BURST";

    private final ServiceTracker<EventAdmin, EventAdmin> tracker;
    private final DeadLetterOffice deadLetters;

    private RuntimeEvents(BundleContext context, DeadLetterOffice deadLetters) {
        this.tracker = new ServiceTracker<>(context, EventAdmin.class, null);
        this.deadLetters = deadLetters;
    }

    /**
     * Starts posting the code server's and the dead-letter office's events; returns what stops it, or null when the
     * runtime is not wired to EventAdmin's package.
     */
    public static AutoCloseable open(BundleContext context, CodeServerImpl code, DeadLetterOffice deadLetters) {
        try {
            Class.forName("org.osgi.service.event.EventAdmin", false, RuntimeEvents.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        RuntimeEvents events = new RuntimeEvents(context, deadLetters);
        events.tracker.open();
        code.addListener(events);
        deadLetters.onBurst(events);
        return events;
    }

    @Override
    public void loaded(UpgradeOutcome committed) {
        Map<String, Object> p = module(committed.module(), committed.to());
        put(p, "old.version", committed.from() == null ? null : committed.from().version());
        p.put("servers", committed.servers());
        post(LOADED, p);
    }

    @Override
    public void rolledBack(UpgradeOutcome aborted) {
        Map<String, Object> p = module(aborted.module(), aborted.from()); // the version that stays current
        p.put("failed.version", aborted.to().version());
        p.put("servers", aborted.servers());
        if (aborted.cause() != null) {
            p.put("cause", aborted.cause().getMessage());
            p.put("exception", aborted.cause());
        }
        post(ROLLED_BACK, p);
    }

    @Override
    public void purged(ModuleVersion old, PurgeResult result, long nanos) {
        Map<String, Object> p = purgedProperties(old, result);
        p.put("duration.us", nanos / 1_000);
        post(PURGED, p);
    }

    @Override
    public void purged(ModuleVersion old, PurgeResult result) {
        post(PURGED, purgedProperties(old, result));
    }

    private static Map<String, Object> purgedProperties(ModuleVersion old, PurgeResult result) {
        Map<String, Object> p = module(result.module(), old);
        p.put("killed", result.killed().size());
        p.put("killed.pids", pids(result.killed()));
        p.put("migrated", result.migrated().size());
        p.put("blockers", pids(result.blockers()));
        return p;
    }

    @Override
    public void releaseInstalled(ReleaseResult result) {
        Map<String, Object> p = new HashMap<>();
        put(p, "release", result.release() == null ? null : result.release().name());
        put(p, "version", result.release() == null ? null : result.release().version());
        put(p, "bundles", result.release() == null ? null : result.release().bundles());
        p.put("changed", result.changed());
        put(p, "summary", result.summary());
        post(RELEASE_INSTALLED, p);
    }

    @Override
    public void releaseFailed(String release, RuntimeException why) {
        Map<String, Object> p = new HashMap<>();
        p.put("source", release);
        put(p, "cause", why.getMessage());
        p.put("exception", why);
        post(RELEASE_FAILED, p);
    }

    /** A dead-letter burst: {@code notShown} dead letters of one second that the log did not show one by one. */
    @Override
    public void accept(long notShown) {
        Map<String, Object> p = new HashMap<>();
        p.put("count", notShown);
        p.put("total", deadLetters.count());
        post(DEAD_LETTER_BURST, p);
    }

    private static Map<String, Object> module(String module, ModuleVersion v) {
        Map<String, Object> p = new HashMap<>();
        p.put("module", module);
        if (v != null) {
            p.put("version", v.version());
            p.put("bundle.id", v.bundleId());
        }
        return p;
    }

    private static void put(Map<String, Object> p, String key, Object value) {
        if (value != null) { // EventAdmin properties have no null values
            p.put(key, value);
        }
    }

    private static List<String> pids(List<Pid> pids) {
        return pids.stream().map(Pid::toString).toList();
    }

    private void post(String topic, Map<String, Object> properties) {
        EventAdmin admin = tracker.getService();
        if (admin != null) {
            admin.postEvent(new Event(topic, properties));
        }
    }

    @Override
    public void close() {
        deadLetters.onBurst(null);
        tracker.close();
    }
}
