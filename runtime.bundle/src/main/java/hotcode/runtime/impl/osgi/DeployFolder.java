package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A watched deploy folder ({@code hotcode.deploy.dir}): a module jar (one with a {@code Hotcode-Module} header)
 * dropped into it is installed and started if its module is new, or loaded as the module's next version if the module
 * is running ({@link CodeServer#load}, the same path as the console's {@code load}: a failed upgrade rolls back).
 * Nothing is refreshed: a refresh is a purge, which kills every process still running old code. Instead the old
 * version is soft-purged as soon as no process runs it, and until then the processes that still do are logged.
 *
 * <p>Why not FileInstall: its {@code DirectoryWatcher} refreshes the bundles it updated right after the update, and
 * Karaf's {@code bundle:watch} does the same. Jars without the header (plain bundles, libraries) are not this
 * folder's business: they are left alone, for FileInstall or the operator.
 *
 * <p>A file is read only once its size and modification time held still for one scan, so a jar still being copied
 * in is not read half written. A file that still cannot be read as a bundle after {@value #ATTEMPTS} scans (not a
 * jar, a truncated one, no manifest) is reported and skipped until it changes; nothing of it is installed. Removing a
 * jar from the folder uninstalls nothing (an uninstall is a purge too).
 *
 * <p>The same deploy serves FileInstall's folders (Karaf's {@code deploy/} among them): {@link FileInstallDeployer}
 * claims module jars there as an {@code ArtifactInstaller} and {@link #offer offers} them here, so FileInstall never
 * installs, updates or refreshes them itself; plain bundles stay FileInstall's.
 */
public final class DeployFolder implements AutoCloseable {
    /** The framework or system property naming the folder; unset (the default), no folder is watched. */
    public static final String PROPERTY = "hotcode.deploy.dir";
    /** How often the folder is scanned. */
    static final long SCAN_MILLIS = 500;
    /** How many scans a stable file may fail to read before it is reported: a copy can pause mid-file. */
    static final int ATTEMPTS = 3;
    /** The soft purge of an old version is tried again after this, doubled each time up to {@link #PURGE_MAX_MILLIS}. */
    static final long PURGE_FIRST_MILLIS = 100;
    static final long PURGE_MAX_MILLIS = 5_000;

    private final Path dir;
    private final BundleContext context;
    private final CodeServer code;
    private final ModuleRegistry registry;
    /** One thread: scans and soft purges never race each other, and deploys happen in the order files settle. */
    private final ScheduledExecutorService thread;
    /** Each file's stamp when last seen, and how it went; only the scan thread touches it. */
    private final Map<Path, Seen> seen = new HashMap<>();
    /** Files offered by FileInstall and not yet done (retried while a module's old code still runs); scan thread only. */
    private final Map<Path, Seen> offered = new HashMap<>();

    private record Stamp(long size, long modified) {
    }

    /** A file as last scanned: {@code done} once deployed or reported, until its stamp changes. */
    private static final class Seen {
        Stamp stamp;
        int failures;
        boolean done;
        /** The last blockers logged for a jar waiting for its module's old code to go, so they are logged once. */
        List<Pid> waitingFor = List.of();

        Seen(Stamp stamp) {
            this.stamp = stamp;
        }
    }

    /**
     * Registers {@link FileInstallDeployer}, FileInstall's installer for module jars; returns what unregisters it, or
     * null when the runtime is not wired to FileInstall's package (optional import). Checked here, by name, because
     * loading the installer's class needs FileInstall's interface.
     */
    public static AutoCloseable openForFileInstall(BundleContext context, CodeServer code, ModuleRegistry registry) {
        try {
            Class.forName("org.apache.felix.fileinstall.ArtifactInstaller", false, DeployFolder.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        return FileInstallDeployer.open(context, code, registry);
    }

    /** Deploys only what {@link #offer} is given (FileInstall's folders): no folder of its own is scanned. */
    static DeployFolder forOffers(BundleContext context, CodeServer code, ModuleRegistry registry) {
        return new DeployFolder(null, context, code, registry);
    }

    /**
     * Deploys {@code file}, which its watcher (FileInstall) saw hold still: on this folder's thread, in the order
     * offered; while the module's old code from an earlier load still runs, tried again every scan period until it is
     * done or offered anew. A file that cannot be read is reported at once (the watcher waited for it already).
     */
    void offer(Path file) {
        thread.execute(() -> {
            Seen s = new Seen(stampOf(file));
            s.failures = ATTEMPTS - 1;
            offered.put(file, s);
            attempt(file, s);
        });
    }

    private void attempt(Path file, Seen s) {
        if (offered.get(file) != s) {
            return; // offered again since: that offer goes on
        }
        try {
            deploy(file, s);
        } catch (RuntimeException e) {
            s.done = true;
            Log.error("deploy: " + file + " failed: " + e, e);
        }
        if (s.done) {
            offered.remove(file, s);
        } else {
            thread.schedule(() -> attempt(file, s), SCAN_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private static Stamp stampOf(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return new Stamp(-1, -1);
        }
    }

    private DeployFolder(Path dir, BundleContext context, CodeServer code, ModuleRegistry registry) {
        this.dir = dir;
        this.context = context;
        this.code = code;
        this.registry = registry;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hotcode-deploy");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts watching the folder named by {@link #PROPERTY}, creating it if missing; null when the property is unset
     * or blank (the default: no folder is watched).
     */
    public static DeployFolder open(BundleContext context, CodeServer code, ModuleRegistry registry) {
        String name = context.getProperty(PROPERTY);
        if (name == null || name.isBlank()) {
            return null;
        }
        Path dir = Path.of(name.trim()).toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            Log.error("deploy folder " + dir + " (" + PROPERTY + ") cannot be created, so it is not watched: " + e,
                    e);
            return null;
        }
        DeployFolder f = new DeployFolder(dir, context, code, registry);
        f.thread.scheduleWithFixedDelay(f::scanSafely, 0, SCAN_MILLIS, TimeUnit.MILLISECONDS);
        Log.info("deploy folder " + dir + ": module jars dropped here are loaded, with no refresh");
        return f;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void scanSafely() {
        try {
            scan();
        } catch (RuntimeException e) { // a scan that throws would cancel the schedule: the folder would go deaf
            Log.error("deploy folder " + dir + ": scan failed: " + e, e);
        }
    }

    private void scan() {
        Map<Path, Stamp> now = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                // hidden files are how copy tools and editors stage a file before renaming it into place
                if (p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                if (a.isRegularFile()) {
                    now.put(p, new Stamp(a.size(), a.lastModifiedTime().toMillis()));
                }
            }
        } catch (IOException e) {
            Log.error("deploy folder " + dir + " cannot be read: " + e, e);
            return;
        }
        seen.keySet().retainAll(now.keySet());
        for (Map.Entry<Path, Stamp> e : now.entrySet()) {
            Path file = e.getKey();
            Seen s = seen.get(file);
            if (s == null || !s.stamp.equals(e.getValue())) {
                seen.put(file, new Seen(e.getValue())); // new or still changing: read it once it holds still
                continue;
            }
            if (!s.done) {
                deploy(file, s);
            }
        }
    }

    /** Deploys {@code file}, which held still since the last scan. */
    private void deploy(Path file, Seen s) {
        String url = file.toUri().toString();
        ModuleJar.Jar jar;
        try {
            jar = ModuleJar.readJar("", url);
            ModuleJar.checkWhole("", url, jar.bytes());
        } catch (HotcodeException e) {
            if (++s.failures < ATTEMPTS) {
                return; // perhaps still being written by a copy that paused: try again next scan
            }
            s.done = true;
            Log.error("deploy: " + file + " is not deployed (tried " + ATTEMPTS + " times): " + e.getMessage(), null);
            return;
        }
        String bsn = jar.symbolicName();
        String header = jar.manifest().getMainAttributes().getValue(ModuleHeader.NAME);
        if (bsn == null) {
            s.done = true;
            Log.error("deploy: " + file + " is not deployed: it is a plain jar, not a bundle (no Bundle-SymbolicName)",
                    null);
            return;
        }
        if (header == null) {
            s.done = true; // a plain bundle: FileInstall's or the operator's, never refreshed behind their back here
            Log.info("deploy: " + file + " (bundle " + bsn + ") has no " + ModuleHeader.NAME
                    + " header, so it is left alone");
            return;
        }
        String module;
        try {
            module = ModuleHeader.parse(header, url).module();
        } catch (RuntimeException e) {
            s.done = true;
            Log.error("deploy: " + file + " is not deployed: " + e.getMessage(), null);
            return;
        }
        if (upToDate(url, file, s)) {
            s.done = true; // installed from this very file before a restart: deploying it again would be a new load
            return;
        }
        ModuleSlot slot = registry.slot(module);
        if (slot == null || slot.bundleGone()) { // no bundle provides the module: this jar's bundle will
            s.done = install(file, url, module, jar.bytes());
            return;
        }
        String version = jar.manifest().getMainAttributes().getValue("Bundle-Version");
        ModuleVersion cur = slot.current();
        if (cur != null && version != null && org.osgi.framework.Version.parseVersion(version).toString()
                .equals(cur.version())) {
            s.done = true; // already the current version (e.g. loaded from this file before a restart): nothing to do
            return;
        }
        s.done = load(file, url, module, s); // after a delete too: CodeServer.load loads the module again
    }

    /** A bundle installed from {@code url} whose last change is not older than the file. */
    private boolean upToDate(String url, Path file, Seen s) {
        Bundle b = context.getBundle(url);
        return b != null && b.getState() != Bundle.UNINSTALLED && b.getLastModified() >= s.stamp.modified();
    }

    /** A module the code server does not run yet: installed and started (the extender loads it on its start). */
    private boolean install(Path file, String url, String module, byte[] bytes) {
        Bundle b = null;
        try {
            b = context.installBundle(url, new ByteArrayInputStream(bytes));
            b.start();
            Log.info("deploy: " + file + " installed module " + module + " as bundle " + b.getSymbolicName() + " ["
                    + b.getBundleId() + "]");
        } catch (BundleException | RuntimeException e) {
            Log.error("deploy: " + file + " (module " + module + ") is not deployed: " + e.getMessage(), null);
            if (b != null) { // installed but could not start: never left behind broken
                try {
                    b.uninstall();
                } catch (BundleException | RuntimeException u) {
                    Log.error("deploy: bundle [" + b.getBundleId() + "] from " + file + " could not be uninstalled: "
                            + u.getMessage(), null);
                }
            }
        }
        return true;
    }

    /**
     * A running module: loaded as its next version once its old code (from an earlier load) is gone; returns false
     * while that old code still runs, so the next scan tries again.
     */
    private boolean load(Path file, String url, String module, Seen s) {
        PurgeResult earlier = code.softPurge(module);
        if (!earlier.purged()) {
            if (!earlier.blockers().equals(s.waitingFor)) {
                s.waitingFor = earlier.blockers();
                Log.info("deploy: " + file + " waits: module " + module + " still has old code run by "
                        + pids(earlier.blockers()) + "; it is loaded once they leave it");
            }
            return false;
        }
        try {
            VersionInfo v = code.load(module, url);
            Log.info("deploy: " + file + " loaded " + module + " " + v.version() + " (vsn " + v.vsn() + ")");
            thread.schedule(() -> softPurge(module, PURGE_FIRST_MILLIS, List.of()), 0, TimeUnit.MILLISECONDS);
        } catch (HotcodeException e) { // a rollback (MigrationException) included: the old version stays current
            Log.error("deploy: " + file + " is not deployed: " + e.getMessage(), null);
        }
        return true;
    }

    /** Soft-purges the module's old code once no process runs it; until then, again after {@code delay} (doubling). */
    private void softPurge(String module, long delay, List<Pid> logged) {
        PurgeResult r;
        try {
            r = code.softPurge(module);
        } catch (RuntimeException e) {
            Log.error("deploy: soft purge of module " + module + " failed: " + e, e);
            return;
        }
        if (r.purged()) {
            if (!logged.isEmpty()) {
                Log.info("deploy: old code of module " + module + " soft-purged: no process runs it any more");
            }
            return;
        }
        if (!r.blockers().equals(logged)) {
            ModuleSlot slot = registry.slot(module);
            ModuleVersion old = slot == null ? null : slot.old();
            Log.info("deploy: old code of module " + module + (old == null ? "" : " (" + old.label() + ")")
                    + " is still run by " + pids(r.blockers()) + "; soft-purged once they leave it");
        }
        long next = Math.min(delay * 2, PURGE_MAX_MILLIS);
        thread.schedule(() -> softPurge(module, next, r.blockers()), delay, TimeUnit.MILLISECONDS);
    }

    /** The pids, or their count and the first 20 when there are more: a log line, not a listing of thousands. */
    private static String pids(List<Pid> pids) {
        return pids.size() <= 20 ? pids.toString()
                : pids.size() + " processes: " + pids.subList(0, 20).toString().replace("]", ", ...]");
    }
}
