package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleVersion;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.hooks.resolver.ResolverHook;
import org.osgi.framework.hooks.resolver.ResolverHookFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Anchor bundles keep a module's old revision usable after {@code update}. Felix discards an updated bundle's
 * previous revision at once unless another bundle is wired to it, so for every loaded version the runtime installs a
 * tiny generated bundle, with no classes, that requires that revision. The runtime itself never wires to module code,
 * so a module's refresh never touches it. A resolver hook pins each anchor to its exact revision (two revisions of
 * the same bundle version would otherwise be chosen between at random).
 *
 * <p>An anchor is in the module's refresh closure, so its STOPPING event is the runtime's notice that the revision it
 * holds is about to go: the only moment old code can still be purged cleanly.
 */
final class Anchors implements ResolverHookFactory {
    static final String LOCATION_PREFIX = "hotcode:anchor:";
    static final String SYMBOLIC_NAME_PREFIX = "hotcode.anchor.";

    private final BundleContext context;
    /** anchor symbolic name -> the revision it must wire to. */
    private final Map<String, BundleRevision> targets = new ConcurrentHashMap<>();
    /** anchor bundle id -> the version it keeps. */
    private final Map<Long, ModuleVersion> anchored = new ConcurrentHashMap<>();
    /** version -> its anchor bundle. */
    private final Map<ModuleVersion, Bundle> anchorOf = new ConcurrentHashMap<>();
    /**
     * Library bundles a release is updating: a bundle's newest revision wires only to their newest revisions. Felix
     * prefers a resolved exporter, so without this a module's new revision would wire to the library's old revision
     * whenever the package version did not change (ReleaseIT).
     */
    private final java.util.Set<Long> newestOnly = ConcurrentHashMap.newKeySet();
    /**
     * Uninstalls run here, off the thread of the purge or update that released them: a purged revision needs no
     * anchor, and a Felix uninstall costs milliseconds that a purge need not wait for.
     */
    private final java.util.concurrent.ExecutorService releaser = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hotcode-anchor-release");
        t.setDaemon(true);
        return t;
    });

    Anchors(BundleContext context) {
        this.context = context;
    }

    /** While a release updates library bundle {@code id}: newest revisions wire to its newest revision only. */
    void preferNewest(long id) {
        newestOnly.add(id);
    }

    void endPreferNewest(long id) {
        newestOnly.remove(id);
    }

    static boolean isAnchor(Bundle b) {
        return b.getLocation().startsWith(LOCATION_PREFIX);
    }

    /** Installs and starts the anchor for {@code v}, whose bundle revision is {@code revision}. */
    void anchor(ModuleVersion v, BundleRevision revision) {
        String bsn = SYMBOLIC_NAME_PREFIX + v.module() + "." + v.vsn() + "." + revision.getBundle().getBundleId();
        targets.put(bsn, revision);
        try {
            Bundle anchor = context.installBundle(LOCATION_PREFIX + v.module() + ":" + v.vsn() + ":" + System.nanoTime(),
                    new ByteArrayInputStream(jar(bsn, revision)));
            anchored.put(anchor.getBundleId(), v);
            anchorOf.put(v, anchor);
            anchor.start();
            BundleWiring w = anchor.adapt(BundleWiring.class);
            if (w == null || w.getRequiredWires(BundleRevision.BUNDLE_NAMESPACE).stream()
                    .noneMatch(wire -> wire.getProvider() == revision)) {
                Log.warn("the anchor of " + v.label() + " did not wire to its revision; its old code may not survive the next update");
            }
        } catch (BundleException | IOException | RuntimeException e) {
            Log.error("could not anchor " + v.label() + " (its old code will not survive the next update): " + e, e);
        }
    }

    /**
     * {@code v}'s code now lives in {@code revision} too (its bundle was restored to its jar): the anchor keeps
     * {@code v}'s first revision until the next refresh, then re-resolves to {@code revision}.
     */
    void retarget(ModuleVersion v, BundleRevision revision) {
        Bundle b = anchorOf.get(v);
        if (b != null) {
            targets.put(b.getSymbolicName(), revision);
        }
    }

    /** The version an anchor bundle keeps, or null. */
    ModuleVersion versionOf(Bundle anchor) {
        return anchored.get(anchor.getBundleId());
    }

    /** {@code v} was purged: its anchor goes now, or after the refresh in progress ({@link #sweep}). */
    void release(ModuleVersion v) {
        Bundle b = anchorOf.remove(v);
        if (b != null) {
            releaser.execute(() -> uninstall(b));
        }
    }

    /**
     * Uninstalls anchors whose version is purged (after a refresh, which they could not be uninstalled during).
     * An anchor this runtime does not know is being installed right now (the sweep runs on the framework's event
     * thread, possibly updates late): it is left alone.
     */
    void sweep() {
        for (Bundle b : context.getBundles()) {
            if (isAnchor(b)) {
                ModuleVersion v = anchored.get(b.getBundleId());
                if (v != null && v.isPurged()) {
                    uninstall(b);
                }
            }
        }
    }

    /** At start: uninstalls anchors left by an earlier run of the runtime (it knows none of them yet). */
    void removeLeftovers() {
        for (Bundle b : context.getBundles()) {
            if (isAnchor(b) && !anchored.containsKey(b.getBundleId())) {
                uninstall(b);
            }
        }
    }

    /** The runtime is stopping: all anchors go (their old revisions go with the modules' next refresh). */
    void closeAll() {
        releaser.shutdownNow();
        for (Bundle b : context.getBundles()) {
            if (isAnchor(b)) {
                uninstall(b);
            }
        }
    }

    private void uninstall(Bundle b) {
        int state = b.getState();
        if (state == Bundle.UNINSTALLED || state == Bundle.STOPPING || state == Bundle.STARTING) {
            return; // in a refresh's stop phase; sweep() after PACKAGES_REFRESHED takes it
        }
        try {
            b.uninstall();
            anchored.remove(b.getBundleId());
            targets.remove(b.getSymbolicName());
        } catch (BundleException | IllegalStateException e) {
            // typically a refresh in progress holds the framework's lock: sweep() retries after PACKAGES_REFRESHED
        }
    }

    private static byte[] jar(String bsn, BundleRevision target) throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", bsn);
        a.putValue("Bundle-Name", "Hotcode anchor of " + target.getSymbolicName() + " " + target.getVersion());
        a.putValue("Bundle-Description", "Generated by hotcode.runtime: keeps this module revision's classes usable until it is purged");
        // optional: once its revision is purged, a refresh restarts the anchor with no wire instead of a resolve error
        a.putValue("Require-Bundle", target.getSymbolicName() + ";bundle-version=\"[" + target.getVersion() + ","
                + target.getVersion() + "]\";resolution:=optional");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, m)) {
            jar.flush();
        }
        return out.toByteArray();
    }

    private static boolean isNewest(BundleRevision r) {
        return r.getBundle().adapt(BundleRevision.class) == r;
    }

    // ------------------------------------------------------------------ callbacks: ResolverHookFactory

    @Override
    public ResolverHook begin(Collection<BundleRevision> triggers) {
        return new ResolverHook() {
            @Override
            public void filterResolvable(Collection<BundleRevision> candidates) {
            }

            @Override
            public void filterSingletonCollisions(BundleCapability singleton, Collection<BundleCapability> collisions) {
            }

            @Override
            public void filterMatches(BundleRequirement requirement, Collection<BundleCapability> candidates) {
                String bsn = requirement.getRevision().getSymbolicName();
                if (bsn != null && bsn.startsWith(SYMBOLIC_NAME_PREFIX)) {
                    BundleRevision target = targets.get(bsn);
                    candidates.removeIf(c -> c.getRevision() != target);
                } else if (!newestOnly.isEmpty() && isNewest(requirement.getRevision())) {
                    // a release's new module revision: not to a revision its library's update has replaced
                    candidates.removeIf(c -> newestOnly.contains(c.getRevision().getBundle().getBundleId())
                            && !isNewest(c.getRevision()));
                }
            }

            @Override
            public void end() {
            }
        };
    }
}
