package hotcode.runtime.impl.code;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.impl.log.Log;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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
public final class ModuleExtender implements SynchronousBundleListener, FrameworkListener, CodeServerImpl.Listener {
    private final BundleContext context;
    private final CodeServerImpl code;
    private final Anchors anchors;
    private final Set<BundleRevision> starting = ConcurrentHashMap.newKeySet();
    /** The jar of each loaded version, until it is purged: what a rolled-back upgrade restores the bundle to. */
    private final java.util.Map<ModuleVersion, byte[]> jars = new ConcurrentHashMap<>();
    /** Why this runtime itself is updating a module bundle on the current thread (see {@link #OWN_UPDATE}). */
    private enum OwnUpdate { RESTORE, LOAD }

    /**
     * Set while this runtime updates a bundle itself: {@code RESTORE} on the restorer's thread while it puts a bundle
     * back to its old jar (the bundle's STARTED is delivered synchronously on that thread, so this tells the restore
     * from any other load, whatever the version numbers); {@code LOAD} during {@code CodeServer.load}, which starts
     * the bundle itself.
     */
    private static final ThreadLocal<OwnUpdate> OWN_UPDATE = new ThreadLocal<>();
    /**
     * Module bundles Felix is stopping transiently, by the thread stopping them: stopped for an update (or a
     * shutdown), so Felix restarts them itself after the update.
     */
    private final java.util.Map<Long, Thread> transientStops = new ConcurrentHashMap<>();
    /**
     * Restores bundles after rolled-back upgrades, and starts updated bundles Felix does not restart: off the thread
     * of the OSGi operation that asked, which is inside that bundle's lock.
     */
    private final java.util.concurrent.ExecutorService restorer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hotcode-restore");
        t.setDaemon(true);
        return t;
    });
    private ServiceRegistration<ResolverHookFactory> hook;

    public ModuleExtender(BundleContext context, CodeServerImpl code) {
        this.context = context;
        this.code = code;
        this.anchors = new Anchors(context);
    }

    public void open() {
        hook = context.registerService(ResolverHookFactory.class, anchors, null);
        anchors.removeLeftovers();
        code.addListener(this);
        code.updateBundlesWith(this::update);
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
        context.removeBundleListener(this);
        context.removeFrameworkListener(this);
        if (context.getBundle(0).getState() != Bundle.STOPPING) {
            anchors.closeAll();
        }
        if (hook != null) {
            hook.unregister();
        }
    }

    // ------------------------------------------------------------------ callbacks

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        if (Anchors.isAnchor(b)) {
            if (event.getType() == BundleEvent.STOPPING && context.getBundle(0).getState() != Bundle.STOPPING) {
                ModuleVersion v = anchors.versionOf(b);
                if (v != null && !v.isPurged()) {
                    code.refreshing(v);
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

    @Override
    public void loaded(ModuleVersion v, ModuleHeader header) {
        if (v.revision() instanceof BundleRevision r) {
            anchors.anchor(v, r);
        }
        keepJar(v);
    }

    @Override
    public void purged(ModuleVersion v) {
        anchors.release(v);
        jars.remove(v);
    }

    @Override
    public void restored(ModuleVersion v, Object revision) {
        if (revision instanceof BundleRevision r) {
            anchors.retarget(v, r);
        }
    }

    // ------------------------------------------------------------------ internals

    /** {@code load <module> <url>}: checks the jar is a version of the module, then updates (and starts) the bundle. */
    private void update(long bundleId, String symbolicName, String module, String url) {
        byte[] jar = ModuleJar.read(url, module, symbolicName);
        Bundle b = context.getBundle(bundleId);
        if (b == null || b.getState() == Bundle.UNINSTALLED) {
            throw new HotcodeException("load: the bundle of module " + module + " [" + bundleId + "] is uninstalled");
        }
        OWN_UPDATE.set(OwnUpdate.LOAD);
        try {
            b.update(new ByteArrayInputStream(jar));
            if (b.getState() != Bundle.ACTIVE) {
                b.start();
            }
        } catch (BundleException e) {
            throw new HotcodeException("load: " + describe(b) + " could not start the new version: "
                    + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
        } finally {
            OWN_UPDATE.remove();
        }
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
            ModuleSource src = new ModuleSource(h, b.getSymbolicName(), b.getVersion().toString(), b.getBundleId(),
                    b.getLocation(), revision, wiring, wiring.getClassLoader());
            if (OWN_UPDATE.get() == OwnUpdate.RESTORE) {
                // this start is our own restore (the listener runs on the thread that called update): never a new load
                if (!code.restored(src)) {
                    Log.error(describe(b) + " was restored to the jar of " + src.version() + " after a rollback, but "
                            + h.module() + " was loaded again meanwhile; its code is unchanged: update the bundle "
                            + "to the version you want", null);
                }
            } else {
                code.load(src);
            }
        } catch (BadModuleException e) {
            Log.error(e.getMessage() + stillCurrent(header, b), e);
        } catch (MigrationException e) {
            restore(b, e); // the upgrade of its servers was rolled back: the bundle goes back to the old jar too
        } catch (RuntimeException e) {
            Log.error(describe(b) + ": could not load it as a module: " + e + stillCurrent(header, b), e);
        }
    }

    /**
     * Restores {@code b} to the jar of the version that stays current after a rolled-back upgrade. The jar is rebuilt
     * now from that version's revision (still wired through its anchor); the update runs on another thread, since
     * this one is inside the bundle's own start.
     */
    private void restore(Bundle b, MigrationException cause) {
        String module;
        try {
            module = ModuleHeader.parse(moduleHeader(b), describe(b)).module();
        } catch (BadModuleException e) {
            return;
        }
        ModuleVersion v = code.restoring(module);
        if (v == null) {
            return;
        }
        byte[] jar = jars.get(v);
        if (jar == null) {
            Log.error("no jar of " + v.label() + " was kept, so " + describe(b) + " stays at " + b.getVersion()
                    + " while " + v.label() + " stays current; update the bundle to a fixed version", null);
            return;
        }
        restorer.execute(() -> {
            if (code.restoring(module) != v) {
                Log.info("restore of " + describe(b) + " to " + v.version() + " skipped: " + module
                        + " has been loaded again since the rollback");
                return;
            }
            OWN_UPDATE.set(OwnUpdate.RESTORE);
            try {
                b.update(new ByteArrayInputStream(jar));
                if (b.getState() != Bundle.ACTIVE) {
                    b.start();
                }
            } catch (BundleException | IllegalStateException e) {
                Log.error("could not restore " + describe(b) + " to " + v.version() + ": " + e
                        + "; " + v.label() + " stays current; update the bundle to a fixed version", e);
            } finally {
                OWN_UPDATE.remove();
            }
        });
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
        if (!code.providedBy(module, b.getBundleId())) {
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
        if (!(v.wiring() instanceof BundleWiring w)) {
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

    private static String moduleHeader(Bundle b) {
        return b.getHeaders("").get(ModuleHeader.NAME);
    }

    private static String describe(Bundle b) {
        return "bundle " + b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }
}
