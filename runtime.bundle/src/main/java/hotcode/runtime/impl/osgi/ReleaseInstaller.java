package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.ReleaseInfo;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.osgi.ReleaseFile.Entry;
import hotcode.runtime.impl.osgi.ReleaseFile.Kind;
import hotcode.runtime.impl.osgi.ReleaseFile.Release;
import hotcode.runtime.impl.upgrade.CodeServerImpl;
import hotcode.runtime.impl.upgrade.ModuleUpgrade;
import hotcode.runtime.impl.upgrade.UpgradeOutcome;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.BundleWiring;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Installs releases ({@link ReleaseFile}) all or nothing, as Erlang's release handler runs a relup:
 * <ol>
 * <li><b>check</b>, before anything is touched: the file ({@link ReleaseFile}), then each bundle against what is
 *     installed (a module's bundle is the one it is loaded from; a module with old code refuses the release with
 *     {@code not_purged} unless it says {@code purge: true}; the jar each touched bundle goes back to is at hand);</li>
 * <li><b>purge</b> old code if the release says so;</li>
 * <li><b>prepare all</b>: libraries are updated (or installed) first, so that the modules' new revisions resolve
 *     against the libraries' new ones; then each module bundle is updated (or installed) with the runtime's
 *     own-update mark, so its STARTED prepares its upgrade ({@link CodeServerImpl#prepare}: servers suspended,
 *     {@code codeChange} run and staged) instead of loading it alone;</li>
 * <li><b>commit all</b> ({@link ModuleUpgrade#commitAll}): every new version current, then every module's servers
 *     resumed, in the reverse order of the prepares (modules are prepared in the file's order, except that
 *     {@code order: B before A} prepares B first, so B's servers are suspended first and resumed last);</li>
 * <li>or, at the first failure, <b>abort all</b>: every prepared upgrade is aborted (servers back on their version
 *     with state and mailbox), then every touched bundle is put back to its previous jar, libraries first (so the
 *     restored modules resolve against the restored libraries), bundles the release installed are uninstalled.</li>
 * </ol>
 * A prepared module holds its module's lock and its servers suspended until the release ends; the migration bound
 * ({@code hotcode.migration.timeout.ms}) counts from each module's prepare, so the whole prepare phase must fit in it
 * (else the watchdog aborts that module and the commit aborts the release). One release is installed at a time.
 */
final class ReleaseInstaller {
    private final BundleContext context;
    private final CodeServerImpl code;
    private final ModuleExtender extender;
    /** Bundles of the release being installed: their single-module rollbacks are left to the release. */
    private final Set<Long> owned = ConcurrentHashMap.newKeySet();
    /** Installed releases, oldest first; the last is current. Replaced whole, so listing never waits for an install. */
    private volatile List<ReleaseInfo> installed = List.of();

    ReleaseInstaller(BundleContext context, CodeServerImpl code, ModuleExtender extender) {
        this.context = context;
        this.code = code;
        this.extender = extender;
    }

    /** Whether bundle {@code id} is being updated by a release, which restores it itself if the release fails. */
    boolean owns(long id) {
        return owned.contains(id);
    }

    List<ReleaseInfo> list() {
        return installed;
    }

    /** What a module bundle's STARTED gave during a release: its prepared upgrade, or why it could not prepare. */
    static final class Collect {
        final Map<Long, ModuleUpgrade> prepared = new ConcurrentHashMap<>();
        final Map<Long, RuntimeException> failed = new ConcurrentHashMap<>();

        /** A module bundle of the release started: prepare its upgrade (on the thread updating it). */
        void started(Bundle b, ModuleSource src, CodeServerImpl code) {
            try {
                ModuleUpgrade u = code.prepare(src);
                if (u != null) {
                    prepared.put(b.getBundleId(), u);
                }
            } catch (RuntimeException e) {
                failed.put(b.getBundleId(), e);
            }
        }
    }

    /** One bundle of the release and what installing it touches. */
    private static final class Step {
        final Entry entry;
        Bundle bundle;           // installed already, or installed by the release
        boolean installedHere;   // the release installed it: a rollback uninstalls it
        byte[] previousJar;      // what a rollback puts back (an updated bundle)
        ModuleVersion keep;      // a module's current version, which a rollback keeps current
        ModuleSlot slot;
        boolean touched;

        Step(Entry entry) {
            this.entry = entry;
        }

        String label() {
            return bundle == null ? entry.label() : ModuleExtender.describe(bundle);
        }
    }

    synchronized ReleaseResult install(String fileOrUrl) {
        Release r = ReleaseFile.read(fileOrUrl);
        ReleaseInfo current = installed.isEmpty() ? null : installed.get(installed.size() - 1);
        if (current != null && current.name().equals(r.name()) && current.version().equals(r.version())) {
            return new ReleaseResult(current, false, "release " + r.label() + " is current already: nothing changed");
        }
        List<Step> steps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Entry e : r.of(Kind.LIBRARY)) {
            plan(e, r, problems, steps);
        }
        for (Entry e : r.of(Kind.MODULE)) {
            plan(e, r, problems, steps);
        }
        if (!problems.isEmpty()) {
            throw new HotcodeException("release " + r.label() + " (" + r.source() + ") refused, nothing was changed:\n  "
                    + String.join("\n  ", problems));
        }
        List<ModuleSlot> loading = new ArrayList<>();
        try {
            for (Step s : steps) {
                // no hotcode:load of one of its modules meanwhile (CodeServer.load's own exclusion)
                if (s.slot != null) {
                    if (!s.slot.beginLoad()) {
                        throw new HotcodeException("release " + r.label() + " refused, nothing was changed: another "
                                + "load of module " + s.entry.module() + " is in progress");
                    }
                    loading.add(s.slot);
                }
            }
            return apply(r, steps);
        } finally {
            loading.forEach(ModuleSlot::endLoad);
        }
    }

    /** Checks one bundle of the release against what is installed; adds its step unless it is there already. */
    private void plan(Entry e, Release r, List<String> problems, List<Step> steps) {
        Step s = new Step(e);
        String where = "line " + e.line() + ", " + e.kind() + " " + e.symbolicName() + ": ";
        List<Bundle> same = Arrays.stream(context.getBundles())
                .filter(b -> e.symbolicName().equals(b.getSymbolicName()) && b.getState() != Bundle.UNINSTALLED)
                .toList();
        if (same.size() > 1) {
            problems.add(where + "several bundles of that name are installed " + same.stream()
                    .map(ModuleExtender::describe).toList() + "; a release updates one");
            return;
        }
        s.bundle = same.isEmpty() ? null : same.get(0);
        if (s.bundle != null && (ModuleExtender.moduleHeader(s.bundle) != null) != (e.kind() == Kind.MODULE)) {
            problems.add(where + ModuleExtender.describe(s.bundle) + " is installed as a "
                    + (e.kind() == Kind.MODULE ? "library" : "module") + ", the release names it a " + e.kind());
            return;
        }
        if (e.kind() == Kind.MODULE) {
            ModuleSlot slot = code.registry().slot(e.module());
            if (slot != null && (s.bundle == null || slot.bundleId() != s.bundle.getBundleId()) && !slot.bundleGone()) {
                problems.add(where + "module " + e.module() + " is loaded from " + slot.owner() + ", not from "
                        + (s.bundle == null ? "a bundle " + e.symbolicName() : ModuleExtender.describe(s.bundle)));
                return;
            }
            s.slot = slot;
            s.keep = slot == null ? null : slot.current();
            if (s.bundle != null && s.keep != null && s.keep.version().equals(e.version())
                    && s.bundle.getVersion().toString().equals(e.version())) {
                return; // the release's version is loaded: nothing to do for it
            }
            if (slot != null && slot.old() != null && !r.purge()) {
                problems.add(where + "not_purged: module " + e.module() + " still has old code (" + slot.old().label()
                        + "); purge it first, or say \"purge: true\" in the release");
                return;
            }
            if (s.bundle != null && s.keep == null) {
                problems.add(where + "module " + e.module() + " is not loaded from " + ModuleExtender.describe(s.bundle)
                        + " (stopped before it loaded, or deleted); start it, or uninstall it, first");
                return;
            }
            if (s.bundle != null) {
                s.previousJar = extender.keptJar(s.keep);
                if (s.previousJar == null) {
                    problems.add(where + "no jar of " + s.keep.label() + " was kept, so " + ModuleExtender.describe(s.bundle)
                            + " could not be restored if the release failed");
                    return;
                }
            }
        } else if (s.bundle != null) {
            if (s.bundle.getVersion().toString().equals(e.version())) {
                return;
            }
            BundleWiring w = s.bundle.adapt(BundleWiring.class);
            try {
                // read now, while it is the bundle's current revision: after the update its entries are the new jar's
                s.previousJar = JarRebuild.of(w);
            } catch (IOException | RuntimeException x) {
                problems.add(where + "cannot keep the jar of " + ModuleExtender.describe(s.bundle) + " to restore it if"
                        + " the release failed (" + (w == null ? "it is not resolved" : x.toString()) + ")");
                return;
            }
        }
        steps.add(s);
    }

    private ReleaseResult apply(Release r, List<Step> steps) {
        ReleaseInfo previous = installed.isEmpty() ? null : installed.get(installed.size() - 1);
        for (Step s : steps) {
            if (s.bundle != null) {
                owned.add(s.bundle.getBundleId());
                if (s.entry.kind() == Kind.LIBRARY) {
                    // the modules' new revisions wire to the library's new revision, even at the same package version
                    extender.anchors().preferNewest(s.bundle.getBundleId());
                }
            }
        }
        Collect collect = new Collect();
        List<ModuleUpgrade> prepared = new ArrayList<>();
        try {
            if (r.purge()) {
                for (Step s : steps) {
                    if (s.slot != null && s.slot.old() != null) {
                        code.purge(s.entry.module()); // logged by the purge: what it killed
                    }
                }
            }
            long t0 = System.nanoTime();
            String failure = null;
            Throwable cause = null;
            for (Step s : steps) {
                try {
                    touch(s, collect);
                } catch (BundleException | IllegalStateException | SecurityException e) {
                    failure = s.label() + (s.entry.module() == null ? "" : " (module " + s.entry.module() + ")")
                            + " could not be " + (s.installedHere ? "installed and started" : "updated and started")
                            + ": " + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")");
                    cause = e;
                }
                if (failure == null && s.entry.kind() == Kind.MODULE) {
                    long id = s.bundle.getBundleId();
                    ModuleUpgrade u = collect.prepared.get(id);
                    RuntimeException bad = collect.failed.get(id);
                    if (u != null) {
                        prepared.add(u);
                    }
                    if (bad != null) {
                        failure = s.label() + " (module " + s.entry.module() + "): " + bad.getMessage();
                        cause = bad;
                    } else if (u == null) {
                        failure = s.label() + " (module " + s.entry.module() + ") did not start a new version";
                    } else if (!u.prepared()) { // its servers' migration failed: it has aborted itself
                        UpgradeOutcome o = u.outcome();
                        cause = o == null ? null : o.cause();
                        failure = s.label() + " (module " + s.entry.module() + "): "
                                + (cause == null ? "its upgrade was aborted" : cause.getMessage());
                    }
                }
                if (failure != null) {
                    break;
                }
            }
            long prepareNanos = System.nanoTime() - t0;
            hotcode.runtime.spi.node.ReleaseBarrier barrier = hotcode.runtime.spi.node.ReleaseBarrier.current();
            if (failure == null && barrier != null) { // a load coordinated across nodes: every node prepared, or none commits
                String no = barrier.prepared(r.label());
                if (no != null) {
                    failure = "prepared here, but the cluster aborted it: " + no;
                }
            }
            if (failure == null) {
                // resumed in the reverse order of their prepare: a module ordered before another ("order: B before
                // A", Erlang's DepMods) is suspended first and resumed last
                List<UpgradeOutcome> outcomes = new ArrayList<>(ModuleUpgrade.commitAll(prepared.reversed()));
                java.util.Collections.reverse(outcomes);
                for (UpgradeOutcome o : outcomes) {
                    if (!o.committed()) {
                        cause = o.cause();
                        failure = "module " + o.module() + ": " + (cause == null ? "not committed" : cause.getMessage());
                        break;
                    }
                }
                if (failure == null) {
                    return committed(r, steps, outcomes, prepareNanos);
                }
            }
            for (ModuleUpgrade u : collect.prepared.values()) {
                if (!prepared.contains(u)) {
                    prepared.add(u); // prepared by a bundle whose start then failed: aborted with the others
                }
            }
            throw rollback(r, previous, steps, prepared, failure, cause);
        } finally {
            for (Step s : steps) {
                if (s.bundle != null) {
                    owned.remove(s.bundle.getBundleId());
                    extender.anchors().endPreferNewest(s.bundle.getBundleId());
                }
            }
        }
    }

    /** Updates or installs, then starts, the step's bundle, marked as the release's own so its STARTED prepares. */
    private void touch(Step s, Collect collect) throws BundleException {
        ModuleExtender.ownUpdate(new ModuleExtender.OwnUpdate(false, collect, s.entry.url()), () -> {
            s.touched = true;
            if (s.bundle == null) {
                s.bundle = context.installBundle(s.entry.url(), new ByteArrayInputStream(s.entry.jar()));
                s.installedHere = true;
                owned.add(s.bundle.getBundleId());
            } else {
                s.bundle.update(new ByteArrayInputStream(s.entry.jar())); // Felix restarts an active bundle in it
            }
            if (s.bundle.getState() != Bundle.ACTIVE) {
                s.bundle.start();
            }
        });
    }

    private ReleaseResult committed(Release r, List<Step> steps, List<UpgradeOutcome> outcomes, long prepareNanos) {
        List<String> bundles = r.bundles().stream().map(e -> e.symbolicName() + " " + e.version()).toList();
        List<ReleaseInfo> all = new ArrayList<>();
        for (ReleaseInfo o : installed) { // installed again (an older release): it moves to the end, as current
            if (!(o.name().equals(r.name()) && o.version().equals(r.version()))) {
                all.add(new ReleaseInfo(o.name(), o.version(), ReleaseInfo.OLD, o.bundles(), o.source()));
            }
        }
        ReleaseInfo now = new ReleaseInfo(r.name(), r.version(), ReleaseInfo.CURRENT, bundles, r.source());
        all.add(now);
        installed = List.copyOf(all);
        int servers = outcomes.stream().mapToInt(UpgradeOutcome::servers).sum();
        String summary = "installed release " + r.label() + ": " + (steps.isEmpty() ? "no bundle changed"
                : steps.size() + " bundle(s) updated, " + outcomes.size() + " module(s) committed together ("
                + outcomes.stream().map(o -> o.to().label()).toList() + "), " + servers + " server(s) migrated; "
                + "prepared in " + prepareNanos / 1_000_000 + " ms");
        Log.info(summary);
        return new ReleaseResult(now, true, summary);
    }

    /**
     * Abort all: the prepared upgrades that are still prepared are aborted (the servers resume on their version), then
     * every touched bundle goes back to its previous jar, libraries first, and bundles installed here are uninstalled.
     * Returns the error to throw, naming the failure and what was restored.
     */
    private HotcodeException rollback(Release r, ReleaseInfo previous, List<Step> steps, List<ModuleUpgrade> prepared,
                                      String failure, Throwable cause) {
        HotcodeException why = new HotcodeException("release " + r.label() + " rolled back: " + failure);
        List<String> aborted = new ArrayList<>();
        for (ModuleUpgrade u : prepared) {
            if (u.prepared()) {
                u.abort(why, false); // reported once, below
                aborted.add(u.module());
            }
        }
        List<String> restored = new ArrayList<>();
        List<String> notRestored = new ArrayList<>();
        for (Kind kind : List.of(Kind.LIBRARY, Kind.MODULE)) {
            for (int i = steps.size() - 1; i >= 0; i--) {
                Step s = steps.get(i);
                if (!s.touched || s.entry.kind() != kind || s.bundle == null) {
                    continue;
                }
                String label = s.entry.symbolicName();
                try {
                    if (s.installedHere) {
                        s.bundle.uninstall();
                        restored.add(label + " uninstalled");
                    } else if (s.keep != null) {
                        if (extender.restoreNow(s.bundle, s.keep, s.previousJar)) {
                            restored.add(label + " " + s.keep.version());
                        } else {
                            notRestored.add(label);
                        }
                    } else if (s.previousJar != null) {
                        ModuleExtender.ownUpdate(new ModuleExtender.OwnUpdate(true), () -> {
                            s.bundle.update(new ByteArrayInputStream(s.previousJar));
                            if (s.bundle.getState() != Bundle.ACTIVE) {
                                s.bundle.start();
                            }
                        });
                        restored.add(label + " " + s.bundle.getVersion());
                    } else {
                        notRestored.add(label);
                    }
                } catch (BundleException | IllegalStateException e) {
                    Log.error("release " + r.label() + ": could not restore " + ModuleExtender.describe(s.bundle) + ": " + e, e);
                    notRestored.add(label);
                }
            }
        }
        String msg = "release " + r.label() + " not installed, nothing changed (all or nothing): " + failure
                + ". Every module of it stays on its version, its servers with their state and mailbox"
                + (aborted.isEmpty() ? "" : " (prepared, then aborted: " + aborted + ")") + "; bundles "
                + (restored.isEmpty() ? "restored: none needed" : "restored: " + restored)
                + (notRestored.isEmpty() ? "" : "; NOT restored (see the log): " + notRestored)
                + (previous == null ? "" : "; release " + previous.name() + " " + previous.version() + " stays current");
        Log.error(msg, null);
        return cause instanceof MigrationException m ? new MigrationException(msg, m.pid(), m)
                : new HotcodeException(msg, cause);
    }
}
