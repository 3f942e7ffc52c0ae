package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.BadModuleException;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.upgrade.UpgradeOutcome;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The extender: turns module bundles' life cycle into code-server operations. It listens synchronously, so each
 * step happens on the thread doing the OSGi operation, before that operation goes on:
 * <ul>
 * <li>STARTED of a module bundle: load its revision (purge the old version, current becomes old) and anchor it;</li>
 * <li>STOPPING of an anchor (the module's refresh, before any wiring is disposed): purge the old version, or
 *     preload the current one's classes;</li>
 * <li>UNINSTALLED of a module bundle: delete (current becomes old);</li>
 * <li>a start that fails (STARTING, then STOPPED without STARTED): reported; the previous version stays current;</li>
 * <li>UPDATED of a module bundle that Felix will not restart (its last start failed, so it was not active): started
 *     here, since updating a module's bundle is loading a new version; one that was stopped on purpose is left
 *     stopped, and the log says its new version is not loaded.</li>
 * </ul>
 */
public final class ModuleExtender implements SynchronousBundleListener, FrameworkListener, ModuleRegistry.Listener,
        CodeServerImpl.Bundles {
    private final BundleContext context;
    private final CodeServerImpl code;
    private final Anchors anchors;
    private final Set<BundleRevision> starting = ConcurrentHashMap.newKeySet();
    /** The jar of each loaded version, until it is purged: what an aborted upgrade restores the bundle to. */
    private final Map<ModuleVersion, byte[]> jars = new ConcurrentHashMap<>();
    /**
     * After an aborted upgrade, per module: the version whose jar the bundle is being put back to, until the restored
     * revision starts (or a newer load makes the restore pointless).
     */
    private final Map<String, ModuleVersion> restoring = new ConcurrentHashMap<>();

    /**
     * Set while this runtime updates a bundle itself: {@code RESTORE} on the restorer's thread while it puts a bundle
     * back to its old jar (the bundle's STARTED is delivered synchronously on that thread, so this tells the restore
     * from any other load, whatever the version numbers); {@code LOAD} during {@code CodeServer.load}, which starts
     * the bundle itself and wants the outcome of the load its update caused.
     */
    private static final ThreadLocal<OwnUpdate> OWN_UPDATE = new ThreadLocal<>();

    static final class OwnUpdate {
        final boolean restore;
        /** Set while a release updates its bundles: a module bundle's STARTED prepares its upgrade, for the release. */
        final ReleaseInstaller.Collect release;
        /** Where the new jar came from ({@code load}'s URL, a release's jar), shown by {@code which}; or null. */
        final String source;
        UpgradeOutcome outcome;

        OwnUpdate(boolean restore) {
            this(restore, null, null);
        }

        OwnUpdate(boolean restore, ReleaseInstaller.Collect release, String source) {
            this.restore = restore;
            this.release = release;
            this.source = source;
        }
    }

    /**
     * Module bundles Felix is stopping transiently, by the thread stopping them: stopped for an update (or a
     * shutdown), so Felix restarts them itself after the update.
     */
    private final Map<Long, Thread> transientStops = new ConcurrentHashMap<>();
    /**
     * Restores bundles after aborted upgrades, and starts updated bundles Felix does not restart: off the thread of the
     * OSGi operation that asked, which is inside that bundle's lock.
     */
    private final ExecutorService restorer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hotcode-restore");
        t.setDaemon(true);
        return t;
    });
    private ServiceRegistration<ResolverHookFactory> hook;
    private final ReleaseInstaller releases;

    public ModuleExtender(BundleContext context, CodeServerImpl code) {
        this.context = context;
        this.code = code;
        this.anchors = new Anchors(context);
        this.releases = new ReleaseInstaller(context, code, this);
    }

    public void open() {
        hook = context.registerService(ResolverHookFactory.class, anchors, null);
        anchors.removeLeftovers();
        code.registry().addListener(this);
        code.useBundles(this);
        context.addBundleListener(this);
        context.addFrameworkListener(this);
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE && moduleHeader(b) != null) {
                load(b);
            }
        }
    }

    public void close() {
        restorer.shutdownNow();
        code.useBundles(null);
        context.removeBundleListener(this);
        context.removeFrameworkListener(this);
        if (context.getBundle(0).getState() != Bundle.STOPPING) {
            anchors.closeAll();
        }
        if (hook != null) {
            hook.unregister();
        }
    }

    // ------------------------------------------------------------------ callbacks: bundle and framework events

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        if (Anchors.isAnchor(b)) {
            if (event.getType() == BundleEvent.STOPPING && context.getBundle(0).getState() != Bundle.STOPPING) {
                ModuleVersion v = anchors.versionOf(b);
                if (v != null && !v.isPurged()) {
                    refreshing(v);
                }
            }
            return;
        }
        String header = moduleHeader(b);
        if (header == null) {
            return;
        }
        switch (event.getType()) {
            case BundleEvent.STARTING -> starting.add(b.adapt(BundleRevision.class));
            case BundleEvent.STARTED -> {
                starting.remove(b.adapt(BundleRevision.class));
                transientStops.remove(b.getBundleId());
                load(b);
            }
            case BundleEvent.STOPPING -> {
                if (persistentlyStarted(b)) {
                    transientStops.put(b.getBundleId(), Thread.currentThread());
                }
            }
            case BundleEvent.UPDATED -> {
                boolean felixRestartsIt = transientStops.remove(b.getBundleId(), Thread.currentThread());
                if (!felixRestartsIt && OWN_UPDATE.get() == null) {
                    updatedWhileInactive(b, header);
                }
            }
            case BundleEvent.STOPPED -> {
                if (starting.remove(b.adapt(BundleRevision.class))) {
                    transientStops.remove(b.getBundleId()); // the stop that ends a failed start: nobody restarts it
                    Log.error(describe(b) + " failed to start, so it was not loaded" + stillCurrent(header, b), null);
                }
            }
            case BundleEvent.UNINSTALLED -> {
                try {
                    code.uninstalled(ModuleHeader.parse(header, describe(b)).module(), b.getBundleId());
                } catch (BadModuleException e) {
                    // it was never loaded
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
            anchors.sweep();
        }
    }

    // ------------------------------------------------------------------ callbacks: ModuleRegistry.Listener

    @Override
    public void loaded(ModuleVersion v, ModuleHeader header) {
        offCarrier(v.label(), () -> {
            BundleRevision r = BundleModuleRevision.revisionOf(v);
            if (r != null) {
                anchors.anchor(v, r);
            }
            keepJar(v);
        });
    }

    /**
     * Runs {@code work} on a platform thread when the caller is a virtual thread (a process that updated a bundle),
     * which waits for it unmounted; other callers run it themselves. Installing and starting an anchor is Felix's
     * work, 4-35 ms, done right after the new version became current: on a virtual thread it held one of the
     * runtime's carriers that long, so with two carriers every other process (the module's own ones too, just as
     * they switch to the new version) had one carrier left (docs/BENCHMARKS.md, issue 16, the upgrade stream). The
     * caller still returns only once it is done: the anchor must be wired before the bundle's next update.
     */
    static void offCarrier(String what, Runnable work) {
        if (!Thread.currentThread().isVirtual()) {
            work.run();
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread.ofPlatform().daemon().name("hotcode-anchor " + what).start(() -> {
            try {
                work.run();
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        boolean interrupted = false;
        while (true) {
            try {
                done.get(); // parks: the carrier runs other processes meanwhile
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the anchor is needed all the same: wait on, then keep the interrupt
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                if (e.getCause() instanceof Error er) {
                    throw er;
                }
                throw new IllegalStateException(what + ": " + e.getCause(), e.getCause());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void purged(ModuleVersion v) {
        anchors.release(v);
        jars.remove(v);
        restoring.remove(v.module(), v);
    }

    // ------------------------------------------------------------------ CodeServerImpl.Bundles

    /** {@code load <module> <url>}: checks the jar is a version of the module, then updates (and starts) the bundle. */
    @Override
    public UpgradeOutcome update(long bundleId, String symbolicName, String module, String url) {
        byte[] jar = ModuleJar.read(url, module, symbolicName);
        Bundle b = context.getBundle(bundleId);
        if (b == null || b.getState() == Bundle.UNINSTALLED) {
            throw new HotcodeException("load: the bundle of module " + module + " [" + bundleId + "] is uninstalled");
        }
        OwnUpdate own = new OwnUpdate(false, null, url);
        OwnUpdate previous = OWN_UPDATE.get(); // nested (a load inside a release's update): put back after
        OWN_UPDATE.set(own);
        try {
            b.update(new ByteArrayInputStream(jar));
            if (b.getState() != Bundle.ACTIVE) {
                b.start();
            }
        } catch (BundleException e) {
            throw new HotcodeException("load: " + describe(b) + " could not start the new version: "
                    + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
        } finally {
            OWN_UPDATE.set(previous);
        }
        return own.outcome;
    }

    /**
     * Restores the bundle of {@code failed} to the jar of {@code keep}, the version that stays current after an aborted
     * upgrade. The jar was kept when {@code keep} was loaded (Felix resolves an old revision's entry URLs against the
     * bundle's current one, so it cannot be read back now); the update runs on another thread, since this one is
     * inside the bundle's own start.
     */
    @Override
    public void restore(ModuleVersion keep, ModuleSource failed) {
        Bundle b = context.getBundle(failed.bundleId());
        if (b == null || releases.owns(b.getBundleId())) {
            return; // a release being installed restores every bundle of it itself, once all are aborted
        }
        byte[] jar = jars.get(keep);
        if (jar == null) {
            Log.error("no jar of " + keep.label() + " was kept, so " + describe(b) + " stays at " + b.getVersion()
                    + " while " + keep.label() + " stays current; update the bundle to a fixed version", null);
            return;
        }
        String module = keep.module();
        restoring.put(module, keep);
        restorer.execute(() -> {
            if (restoring.get(module) != keep || code.registry().slot(module) == null
                    || code.registry().slot(module).current() != keep) {
                Log.info("restore of " + describe(b) + " to " + keep.version() + " skipped: " + module
                        + " has been loaded again since the rollback");
                return;
            }
            restoreNow(b, keep, jar);
        });
    }

    /**
     * Puts module bundle {@code b} back to {@code jar}, the kept jar of {@code keep} (which stays current), on this
     * thread, which must not be inside a bundle event; its STARTED is recognized as the restore. False (logged) when
     * it could not.
     */
    boolean restoreNow(Bundle b, ModuleVersion keep, byte[] jar) {
        String module = keep.module();
        restoring.put(module, keep);
        OwnUpdate previous = OWN_UPDATE.get(); // nested (a load inside a release's update): put back after
        OWN_UPDATE.set(new OwnUpdate(true));
        try {
            try {
                b.update(new ByteArrayInputStream(jar));
            } catch (BundleException e) {
                if (!b.getVersion().toString().equals(keep.version()) || !lockContention(e)) {
                    throw e;
                } // updated, but its restart could not take Felix's global lock: started below
            }
            startRestored(b);
            return true;
        } catch (BundleException | IllegalStateException e) {
            Log.error("could not restore " + describe(b) + " to " + keep.version() + ": " + e
                    + "; " + keep.label() + " stays current; update the bundle to a fixed version", e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Log.error("restore of " + describe(b) + " to " + keep.version() + " interrupted; " + keep.label()
                    + " stays current; start the bundle", null);
            return false;
        } finally {
            OWN_UPDATE.set(previous);
            restoring.remove(module, keep);
        }
    }

    /**
     * Starts the restored bundle. A start resolves, and Felix refuses to wait for its global lock on a thread that
     * holds a bundle's lock while another thread (a refresh, a resolve) holds the global one: "Unable to acquire global
     * lock for resolve". That is contention, not a bad jar (it resolved before), so the start is
     * tried again for up to {@value #RESTART_ATTEMPTS} times 100 ms; a restore left stopped would leave the module's
     * bundle out of every later update (Felix restarts only active bundles).
     */
    private static void startRestored(Bundle b) throws BundleException, InterruptedException {
        for (int attempt = 1; b.getState() != Bundle.ACTIVE; attempt++) {
            try {
                b.start();
            } catch (BundleException e) {
                if (!lockContention(e) || attempt >= RESTART_ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    static final int RESTART_ATTEMPTS = 100;

    /** Felix's "Unable to acquire global lock for resolve" (in the exception or its cause). */
    static boolean lockContention(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("global lock")) {
                return true;
            }
        }
        return false;
    }

    Anchors anchors() {
        return anchors;
    }

    /** The jar kept for {@code v} when it was loaded, or null. */
    byte[] keptJar(ModuleVersion v) {
        return jars.get(v);
    }

    /** Runs {@code update} with {@code own} telling this thread's bundle events that the runtime is doing it. */
    static void ownUpdate(OwnUpdate own, BundleAction update) throws BundleException {
        OwnUpdate previous = OWN_UPDATE.get(); // nested (a load inside a release's update): put back after
        OWN_UPDATE.set(own);
        try {
            update.run();
        } finally {
            OWN_UPDATE.set(previous);
        }
    }

    interface BundleAction {
        void run() throws BundleException;
    }

    @Override
    public hotcode.runtime.api.ReleaseResult installRelease(String fileOrUrl) {
        return releases.install(fileOrUrl);
    }

    @Override
    public java.util.List<hotcode.runtime.api.ReleaseInfo> releases() {
        return releases.list();
    }

    // ------------------------------------------------------------------ internals

    /**
     * {@code v}'s anchor is stopping: the bundle is being refreshed. The current version's classes are all loaded now,
     * while its wiring still can, so its processes keep running after the wiring is disposed; the old version is
     * purged.
     */
    private void refreshing(ModuleVersion v) {
        if (code.registry().slot(v.module()) != null && code.registry().slot(v.module()).current() == v) {
            ClassPreloader.loadAll(v);
        }
        code.refreshing(v);
    }

    private void load(Bundle b) {
        String header = moduleHeader(b);
        try {
            BundleRevision revision = b.adapt(BundleRevision.class);
            BundleWiring wiring = revision.getWiring();
            if (wiring == null) {
                throw new BadModuleException(describe(b) + " is not resolved");
            }
            ModuleHeader h = ModuleHeader.parse(header, describe(b));
            OwnUpdate own = OWN_UPDATE.get();
            String source = own != null && own.source != null ? own.source : VersionSource.of(b);
            ModuleSource src = new ModuleSource(h, b.getSymbolicName(), b.getVersion().toString(), b.getBundleId(),
                    source, new BundleModuleRevision(revision, wiring), wiring.getClassLoader());
            if (own != null && own.restore) {
                // this start is our own restore (the listener runs on the thread that called update): never a new load
                ModuleVersion v = restoring.get(h.module());
                if (v != null && code.restored(v, src)) {
                    anchors.retarget(v, revision);
                } else {
                    Log.error(describe(b) + " was restored to the jar of " + src.version() + " after a rollback, but "
                            + h.module() + " was loaded again meanwhile; its code is unchanged: update the bundle "
                            + "to the version you want", null);
                }
                return;
            }
            // before the module's lock and before the switch: the new version's first steps resolve its classes
            // without calling into Felix (ClassPreloader.warm)
            ClassPreloader.warm(wiring, src.loader(), h.entryClass());
            if (own != null && own.release != null) {
                // a release's bundle: prepared now, committed or aborted with the release's other modules
                own.release.started(b, src, code);
                return;
            }
            UpgradeOutcome outcome = code.upgrade(src); // an abort restores the bundle through restore()
            if (own != null) {
                own.outcome = outcome;
            }
        } catch (BadModuleException e) {
            Log.error(e.getMessage() + stillCurrent(header, b), e);
        } catch (RuntimeException e) {
            Log.error(describe(b) + ": could not load it as a module: " + e + stillCurrent(header, b), e);
        }
    }

    /**
     * {@code b}, a module bundle, was updated while not active, so Felix will not start it. If the code server loaded
     * the module from this bundle and the bundle is meant to run (persistently started: its last start failed), the
     * update is a load, so it is started here, after the update returns (the task waits for the bundle's lock);
     * otherwise (stopped on purpose, never started) nothing is loaded, and the log says so.
     */
    private void updatedWhileInactive(Bundle b, String header) {
        String module;
        try {
            module = ModuleHeader.parse(header, describe(b)).module();
        } catch (BadModuleException e) {
            return; // reported when it starts
        }
        if (!code.registry().providedBy(module, b.getBundleId())) {
            return; // a module this runtime never loaded from this bundle: Felix's rules, as for any bundle
        }
        if (!persistentlyStarted(b)) {
            Log.warn(describe(b) + " was updated while stopped, so its new version is not loaded"
                    + stillCurrent(header, b) + "; start the bundle to load it");
            return;
        }
        restorer.execute(() -> {
            try {
                b.start(); // waits for the update to release the bundle; a no-op if it is active by then
            } catch (BundleException | IllegalStateException e) {
                if (!(e instanceof BundleException be && be.getType() == BundleException.ACTIVATOR_ERROR)) {
                    Log.error(describe(b) + " was updated but could not be started, so its new version is not loaded: "
                            + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")")
                            + stillCurrent(header, b), e);
                } // an activator's failure is reported by the STOPPED that follows it
            }
        });
        Log.info("starting " + describe(b) + " after its update (its last start had failed): updating a module's"
                + " bundle loads its new version");
    }

    private static boolean persistentlyStarted(Bundle b) {
        org.osgi.framework.startlevel.BundleStartLevel sl = b.adapt(org.osgi.framework.startlevel.BundleStartLevel.class);
        return sl != null && sl.isPersistentlyStarted();
    }

    /**
     * Keeps {@code v}'s jar, rebuilt from its revision while it is the bundle's current one: a rollback restores the
     * bundle to it. (Felix resolves an old revision's entry URLs against the bundle's current revision, so it cannot
     * be read back after the update.)
     */
    private void keepJar(ModuleVersion v) {
        BundleWiring w = BundleModuleRevision.wiringOf(v);
        if (w == null) {
            return;
        }
        try {
            jars.put(v, JarRebuild.of(w));
        } catch (IOException | RuntimeException e) {
            Log.warn("could not keep the jar of " + v.label() + " (" + e + "): if an upgrade of its servers fails, "
                    + "the bundle cannot be restored to it");
        }
    }

    private String stillCurrent(String header, Bundle b) {
        try {
            String module = ModuleHeader.parse(header, describe(b)).module();
            return code.which(module).flatMap(i -> i.current())
                    .map(c -> "; " + module + " " + c.version() + " stays current").orElse("");
        } catch (BadModuleException e) {
            return "";
        }
    }

    static String moduleHeader(Bundle b) {
        return b.getHeaders("").get(ModuleHeader.NAME);
    }

    static String describe(Bundle b) {
        return "bundle " + b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }
}
