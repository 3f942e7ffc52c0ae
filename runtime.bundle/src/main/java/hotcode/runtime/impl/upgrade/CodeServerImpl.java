package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseInfo;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.server.ServerUpgrades;
import hotcode.runtime.spi.node.ReleaseBarrier;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The code server: Erlang's {@code code} module over the {@link ModuleRegistry}. It loads versions through the
 * upgrade transaction ({@link ModuleUpgrade}), purges through the {@link Purger}, and answers the
 * {@link CodeServer} API. The OSGi boundary calls its entry points ({@link #upgrade}, {@link #refreshing},
 * {@link #uninstalled}, {@link #restored}) from bundle events, and serves it through {@link Bundles}.
 */
public final class CodeServerImpl implements CodeServer {
    /** What the code server asks of the bundle framework: the OSGi boundary implements it. */
    public interface Bundles {
        /**
         * Replaces the module bundle's content with the jar at {@code url} and starts it ({@code CodeServer.load});
         * returns the outcome of the load that the update caused, or null when it caused none.
         */
        UpgradeOutcome update(long bundleId, String symbolicName, String module, String url);

        /** After an aborted upgrade of {@code failed}: puts the bundle back to the jar of {@code keep}, which stays current. */
        void restore(ModuleVersion keep, ModuleSource failed);

        /** {@link CodeServer#installRelease}: the bundles are the framework's, so the boundary installs releases. */
        ReleaseResult installRelease(String fileOrUrl);

        /** {@link CodeServer#releases}. */
        List<ReleaseInfo> releases();

        /** No bundle framework (unit tests, the runtime's internal modules). */
        Bundles NONE = new Bundles() {
            @Override
            public UpgradeOutcome update(long bundleId, String symbolicName, String module, String url) {
                throw new HotcodeException("load: no bundle framework to load " + url + " into");
            }

            @Override
            public void restore(ModuleVersion keep, ModuleSource failed) {
            }

            @Override
            public ReleaseResult installRelease(String fileOrUrl) {
                throw new HotcodeException("release: no bundle framework to install " + fileOrUrl + " into");
            }

            @Override
            public List<ReleaseInfo> releases() {
                return List.of();
            }
        };
    }

    /**
     * Told what the code server did to a module, once it is done, never about the runtime's own (internal) modules:
     * the OSGi boundary posts it to EventAdmin. Called on the thread that did it; {@link #purged} with the module's
     * lock held, so no listener may block.
     */
    public interface Listener {
        /** A new version is current ({@code committed.from()} is now old, if there was one). */
        default void loaded(UpgradeOutcome committed) {
        }

        /** An upgrade was aborted: its servers run on {@code aborted.from()} again; {@code cause()} says why. */
        default void rolledBack(UpgradeOutcome aborted) {
        }

        /** {@code old} was purged; {@code result} names the processes it killed. */
        default void purged(ModuleVersion old, PurgeResult result) {
        }

        /**
         * {@link #purged(ModuleVersion, PurgeResult)} with how long the purge took, in nanoseconds: from finding the
         * processes that run {@code old} to dropping it (moving, killing and waiting for them included). The default
         * drops the duration, so listeners written before it was known still hear every purge.
         */
        default void purged(ModuleVersion old, PurgeResult result, long nanos) {
            purged(old, result);
        }

        /** A release was installed ({@link ReleaseResult#changed()} false: it was current already). */
        default void releaseInstalled(ReleaseResult result) {
        }

        /**
         * A release was refused or rolled back: {@code release} is its file or URL as given, {@code why} the error
         * the caller gets (it names the failing module and what was restored).
         */
        default void releaseFailed(String release, RuntimeException why) {
        }
    }

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ModuleRegistry registry;
    private final ProcessTable processes;
    private final ServerUpgrades servers;
    private final Purger purger;
    private volatile Bundles bundles = Bundles.NONE;
    /** Aborts prepared upgrades that nobody ends within the migration bound; its thread ends when idle. */
    private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "hotcode-upgrade-watchdog");
        t.setDaemon(true);
        return t;
    });

    public CodeServerImpl(ModuleRegistry registry, ProcessTable processes, ServerUpgrades servers, long purgeBoundMillis) {
        this.registry = registry;
        this.processes = processes;
        this.servers = servers;
        this.purger = new Purger(registry, processes, servers, purgeBoundMillis, this);
        watchdog.setKeepAliveTime(10, TimeUnit.SECONDS);
        watchdog.allowCoreThreadTimeOut(true);
        watchdog.setRemoveOnCancelPolicy(true);
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** Tells the listeners; one that fails is logged and the others are still told (the change is made already). */
    void announce(java.util.function.Consumer<Listener> event) {
        for (Listener l : listeners) {
            try {
                event.accept(l);
            } catch (RuntimeException e) {
                Log.error("a code server listener failed (" + l + "): " + e, e);
            }
        }
    }

    public void useBundles(Bundles b) {
        this.bundles = b == null ? Bundles.NONE : b;
    }

    /**
     * A new purge bound (a configuration update): how long the purges that start from now on wait for the processes
     * they kill.
     */
    public void purgeBoundMillis(long millis) {
        purger.boundMillis(millis);
    }

    public long purgeBoundMillis() {
        return purger.boundMillis();
    }

    public ModuleRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------ entry points: bundle events

    /**
     * Erlang's {@code l(M)} for {@code src}, as one transaction: prepare (purge the older old version, load the new one,
     * migrate the servers) and commit, or abort if a server's migration fails. When {@code src} is the current
     * revision again (a refresh gave it a new wiring, or a stop/start after a delete), nothing new is made.
     * Throws {@link hotcode.runtime.impl.code.BadModuleException}, with nothing changed, when the bundle is not a
     * usable module. On a thread with a {@link ReleaseBarrier} (a load coordinated across nodes), the barrier is asked
     * once the module is prepared: it commits only when the barrier says so, else it aborts, as when a server's
     * migration fails.
     */
    public UpgradeOutcome upgrade(ModuleSource src) {
        ModuleUpgrade u = prepare(src);
        if (u == null) {
            return UpgradeOutcome.unchanged(src.header().module(), registry.slot(src.header().module()).current());
        }
        ReleaseBarrier barrier = ReleaseBarrier.current();
        if (barrier != null && u.prepared()) { // every node prepares before any commits: all switch or none does
            String no = barrier.prepared(u.module() + " " + u.to().version());
            if (no != null) {
                return u.abort(new HotcodeException(u.module() + " " + u.to().version()
                        + " was prepared here, but the cluster aborted its load: " + no));
            }
        }
        return u.commit();
    }

    /**
     * Prepares loading {@code src} ({@link ModuleUpgrade}), or returns null when no new version is needed (the same
     * revision re-bound after a refresh, or made current again); the caller commits or aborts what it gets.
     */
    public ModuleUpgrade prepare(ModuleSource src) {
        ModuleVersion.Binding binding = ModuleVersion.bind(src); // a bad bundle is refused before anything changes
        ModuleSlot m = registry.lockSlotFor(src);
        boolean handedOver = false;
        try {
            m.admit(src);
            ModuleVersion cur = m.current();
            if (cur != null && cur.holdsCode(src.revision())) {
                if (!cur.wiring().sameWiring(src.revision())) {
                    m.rebind(cur, binding); // after a refresh (of the restored revision too: its code was preloaded)
                    Log.info("re-bound " + cur.label() + " to the refreshed bundle; its processes keep running");
                }
                return null;
            }
            ModuleVersion old = m.old();
            if (cur == null && old != null && old.wiring().sameWiring(src.revision())) {
                m.reinstateOld(); // started again after a delete (e.g. stop/start): the same code is current again
                return null;
            }
            handedOver = true;
            return ModuleUpgrade.prepare(this, m, src, binding);
        } finally {
            if (!handedOver) {
                m.unlock();
            }
        }
    }

    /**
     * {@link #upgrade}, for callers that want the new version: it, or null when no new version was made; throws the
     * abort's cause (a {@link hotcode.runtime.api.MigrationException}) when the upgrade was rolled back.
     */
    public ModuleVersion load(ModuleSource src) {
        UpgradeOutcome o = upgrade(src);
        return switch (o.result()) {
            case COMMITTED -> o.to();
            case UNCHANGED -> null;
            case ABORTED -> throw o.cause();
        };
    }

    /**
     * The module's bundle, restored to the jar of {@code v} after an aborted upgrade, has started again as
     * {@code src}: the same code, so the same version. {@code v} keeps running on its anchored first revision and is
     * re-bound to {@code src}'s revision at the bundle's next refresh. False when {@code v} is no longer current (a
     * newer version was loaded meanwhile).
     */
    public boolean restored(ModuleVersion v, ModuleSource src) {
        ModuleSlot m = registry.lockSlot(v.module());
        if (m == null) {
            return false;
        }
        try {
            if (m.current() != v || !v.version().equals(src.version())) {
                return false;
            }
            m.restoredTo(v, src.revision());
        } finally {
            m.unlock();
        }
        Log.info("restored bundle " + src.symbolicName() + " to " + src.version() + " after the rollback: "
                + v.label() + " stays current");
        return true;
    }

    /**
     * The module bundle is about to be refreshed ({@code v}'s anchor is stopping): its old version is purged,
     * whichever version's anchor told us (a refresh drops every revision of the bundle but its newest, and the old
     * version's anchor may have lost its wire in an earlier refresh, after a refused update).
     */
    public void refreshing(ModuleVersion v) {
        ModuleSlot m = registry.lockSlot(v.module());
        if (m == null) {
            return;
        }
        try {
            if (m.old() != null) {
                purger.purge(m, "refresh", false);
            }
            registry.forgetIfEmpty(m);
        } finally {
            m.unlock();
        }
    }

    /** Bundle {@code bundleId} was uninstalled: if it provides the module, Erlang's delete (purging older old code). */
    public void uninstalled(String module, long bundleId) {
        ModuleSlot m = registry.lockSlot(module);
        if (m == null) {
            return;
        }
        try {
            if (m.bundleId() != bundleId) {
                return; // another bundle (e.g. one refused for claiming this module) leaves the module alone
            }
            m.bundleUninstalled();
            if (m.current() != null) {
                if (m.old() != null) {
                    purger.purge(m, "before deleting " + module, false);
                }
                delete(m);
            }
            registry.forgetIfEmpty(m);
        } finally {
            m.unlock();
        }
    }

    // ------------------------------------------------------------------ API: CodeServer

    @Override
    public boolean isLoaded(String module) {
        return registry.isLoaded(module);
    }

    @Override
    public Optional<ModuleInfo> which(String module) {
        return registry.which(module);
    }

    @Override
    public List<ModuleInfo> modules() {
        return registry.modules();
    }

    @Override
    public boolean checkProcessCode(Pid pid, String module) {
        Proc p = processes.lookup(pid);
        ModuleSlot m = registry.slot(module);
        ModuleVersion old = m == null ? null : m.old();
        return old != null && purger.runsOld(p, old);
    }

    @Override
    public PurgeResult purge(String module) {
        return purge(module, PurgeMode.KILL);
    }

    /** An unknown module has nothing to purge: {@code purged} is false, as Erlang's purge of it is. */
    @Override
    public PurgeResult purge(String module, PurgeMode mode) {
        boolean migrate = mode == PurgeMode.MIGRATE;
        ModuleSlot m = registry.lockSlot(module);
        if (m == null) {
            return new PurgeResult(module, false, List.of(), List.of());
        }
        try {
            PurgeResult r = purger.purge(m, migrate ? "migrate purge" : "purge", migrate);
            registry.forgetIfEmpty(m);
            return r;
        } finally {
            m.unlock();
        }
    }

    /** Nothing to purge, an unknown module included, is a success: {@code purged} is true, as in Erlang. */
    @Override
    public PurgeResult softPurge(String module) {
        ModuleSlot m = registry.lockSlot(module);
        if (m == null) {
            return new PurgeResult(module, true, List.of(), List.of());
        }
        try {
            ModuleVersion old = m.old();
            if (old == null) {
                return new PurgeResult(module, true, List.of(), List.of());
            }
            List<Pid> blockers = purger.runningOld(old);
            if (!blockers.isEmpty()) {
                return new PurgeResult(module, false, List.of(), blockers);
            }
            PurgeResult r = purger.purge(m, "soft purge", false, List.of()); // nobody in its funs: asked above
            registry.forgetIfEmpty(m);
            return r;
        } finally {
            m.unlock();
        }
    }

    @Override
    public VersionInfo load(String module, String url) {
        ModuleSlot m = registry.slot(module);
        if (m == null || m.internal()) { // the runtime's own modules are nobody's to load
            throw new HotcodeException("load: no module named " + module + " is known to the code server; install and"
                    + " start a bundle with a Hotcode-Module header for it first"
                    + (registry.names().isEmpty() ? "" : " (known: " + registry.names() + ")"));
        }
        // one load at a time per module, so two cannot both pass the not_purged check; not the module's lock, which
        // must not be held across a Felix update (a refresh may hold Felix's lock and wait for the module's lock)
        if (!m.beginLoad()) {
            throw new HotcodeException("load: another load of " + module + " is in progress");
        }
        ModuleVersion before;
        UpgradeOutcome outcome;
        try {
            long bundleId;
            String symbolicName;
            m.lock();
            try {
                if (m.old() != null) {
                    throw new HotcodeException("not_purged: " + module + " still has old code ("
                            + m.old().label() + "); purge or soft-purge it before loading another version");
                }
                if (m.bundleGone()) {
                    throw new HotcodeException("load: the bundle of module " + module + " (" + m.owner()
                            + ") was uninstalled; install a bundle of the module to load it");
                }
                before = m.current(); // null after delete and purge: the module is loaded again from its bundle
                bundleId = m.bundleId();
                symbolicName = m.symbolicName();
            } finally {
                m.unlock();
            }
            outcome = bundles.update(bundleId, symbolicName, module, url);
        } finally {
            m.endLoad();
        }
        if (outcome != null && outcome.result() == UpgradeOutcome.Result.ABORTED) {
            throw outcome.cause();
        }
        ModuleVersion now = m.current();
        if (now == null || now == before) {
            throw new HotcodeException("load: " + url + " did not become the current version of " + module
                    + (before == null ? "" : "; " + before.label() + " stays current") + " (see the log above)");
        }
        return registry.info(now);
    }

    /** Refused (false) for an unknown module too, as Erlang's delete of it is. */
    @Override
    public boolean delete(String module) {
        ModuleSlot m = registry.lockSlot(module);
        if (m == null) {
            return false;
        }
        try {
            if (m.current() == null || m.old() != null) {
                return false;
            }
            delete(m);
            return true;
        } finally {
            m.unlock();
        }
    }

    @Override
    public ReleaseResult installRelease(String fileOrUrl) {
        ReleaseResult r;
        try {
            r = bundles.installRelease(fileOrUrl);
        } catch (RuntimeException e) {
            announce(l -> l.releaseFailed(fileOrUrl, e));
            throw e;
        }
        announce(l -> l.releaseInstalled(r));
        return r;
    }

    @Override
    public List<ReleaseInfo> releases() {
        return bundles.releases();
    }

    // ------------------------------------------------------------------ for the upgrade transaction

    Purger purger() {
        return purger;
    }

    ServerUpgrades servers() {
        return servers;
    }

    Bundles bundles() {
        return bundles;
    }

    /** Aborts {@code u} if it is still prepared when the migration bound has passed. */
    ScheduledFuture<?> watch(ModuleUpgrade u) {
        long bound = servers.boundMillis();
        return watchdog.schedule(() -> u.expire(bound), bound, TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ internals

    private static void delete(ModuleSlot m) {
        ModuleVersion cur = m.delete();
        CodeLog.info(m, "deleted " + m.name() + ": " + cur.label() + " is now old; calls to " + m.name()
                + " fail with undef");
    }
}
