package hotcode.runtime.impl.code;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.api.VersionInfo;
import hotcode.runtime.impl.Log;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The code server, after Erlang's code_server.erl: per module a current and an old version. Loading makes current
 * old (purging the previous old first); purging kills the processes that still run the old version and drops it.
 * Transitions of one module are serialized on its {@link LoadedModule}; qualified calls read {@code current} without
 * locking.
 */
public final class CodeServerImpl implements CodeServer {
    /** Told about loads and purges: the extender anchors new versions, the shell publishes module commands. */
    public interface Listener {
        default void loaded(ModuleVersion v, ModuleHeader header) {
        }

        default void purged(ModuleVersion v) {
        }

        /** After a rolled-back upgrade, {@code v}'s bundle was restored to its jar as {@code revision}. */
        default void restored(ModuleVersion v, Object revision) {
        }
    }

    /**
     * Moves a module's servers to a new version (the server behaviour): {@link #prepare} suspends each at its safe
     * point and stages its migrated state, or rolls all back and throws {@link MigrationException}; the returned
     * {@link Commit} resumes them on the new version once it is current.
     */
    public interface Upgrader {
        interface Commit {
            Commit NOTHING = () -> {
            };

            void commit();
        }

        Commit prepare(ModuleVersion from, ModuleVersion to);

        /** A migrate purge: moves the servers among {@code victims} that are between messages; returns them. */
        List<Proc> migrate(ModuleVersion old, ModuleVersion current, List<Proc> victims);
    }

    /** Replaces a module bundle's content (the extender, which holds the bundle context). */
    public interface BundleUpdater {
        void update(long bundleId, String symbolicName, String module, String url);
    }

    private volatile BundleUpdater updater;
    private volatile Upgrader upgrader;
    private final ConcurrentHashMap<String, LoadedModule> modules = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final ProcessTable processes;
    private final long purgeBoundMillis;

    public CodeServerImpl(ProcessTable processes, long purgeBoundMillis) {
        this.processes = processes;
        this.purgeBoundMillis = purgeBoundMillis;
    }

    public void upgradeServersWith(Upgrader u) {
        this.upgrader = u;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    // ------------------------------------------------------------------ API: loading (the extender's entry points)

    /**
     * Loads {@code src} as the module's current version, Erlang's {@code l(M)}: the previous old version is purged
     * first, the previous current becomes old. When {@code src} is the current revision on a new wiring (the bundle
     * was refreshed), the current version is re-bound in place. Returns the new version, or null when no new version
     * was made (already current, re-bound, or made current again). Throws {@link BadModuleException} (nothing changed) when the bundle is not a usable module.
     */
    public ModuleVersion load(ModuleSource src) {
        ModuleVersion.Binding binding = bind(src);
        String module = src.header().module();
        ModuleVersion loaded;
        for (;;) {
            LoadedModule m = modules.computeIfAbsent(module, n -> new LoadedModule(n, src.symbolicName(), src.bundleId(),
                    src.internal()));
            synchronized (m) {
                if (modules.get(module) != m) {
                    continue; // a purge dropped this slot after we found it: start over with a fresh one
                }
                loaded = loadLocked(m, src, binding);
            }
            break;
        }
        // listeners run outside the module's lock: the extender installs an anchor bundle, which takes Felix's
        // global lock, and a refresh holding that lock may be waiting for the module's lock (refreshing())
        if (loaded != null) {
            for (Listener l : listeners) {
                l.loaded(loaded, src.header());
            }
        }
        return loaded;
    }

    private ModuleVersion loadLocked(LoadedModule m, ModuleSource src, ModuleVersion.Binding binding) {
        String module = m.name;
        if (m.bundleGone) { // the bundle that provided the module was uninstalled: this one takes it over
            m.symbolicName = src.symbolicName();
            m.bundleId = src.bundleId();
            m.bundleGone = false;
        }
        if (m.bundleId != src.bundleId() || !m.symbolicName.equals(src.symbolicName())) {
            throw new BadModuleException(src.describe() + " declares module " + module + ", which " + m.owner()
                    + " already provides; a module's versions are revisions of one bundle: update bundle ["
                    + m.bundleId + "] to load another version");
        }
        ModuleVersion cur = m.current;
        if (cur != null && src.revision() != null
                && (cur.revision() == src.revision() || cur.restoredTo() == src.revision())) {
            if (cur.wiring() == src.wiring()) {
                return null;
            }
            rebind(cur, binding); // after a refresh (of the restored revision too: its code was preloaded then)
            return null;
        }
        ModuleVersion old = m.old;
        if (cur == null && old != null && src.revision() != null && old.revision() == src.revision()
                && old.wiring() == src.wiring()) {
            old.markCurrent(); // started again after a delete (e.g. stop/start): the same code is current again
            m.old = null;
            m.current = old;
            return null;
        }
        if (old != null) {
            purgeLocked(m, "before loading " + module + " " + src.version(), false);
        }
        ModuleVersion v = new ModuleVersion(module, m.nextVsn(), src.version(), src.bundleId(), src.location(),
                src.revision(), binding, src.internal());
        Crossing.OWNERS.put(binding.loader(), v);
        Upgrader.Commit servers = Upgrader.Commit.NOTHING;
        Upgrader u = upgrader;
        if (cur != null && u != null) {
            try {
                servers = u.prepare(cur, v);
            } catch (MigrationException e) {
                Crossing.OWNERS.remove(binding.loader(), v);
                v.markPurged();
                m.restoring = cur;
                m.lastFailure = e;
                throw e;
            }
        }
        m.lastFailure = null;
        m.restoring = null;
        if (cur != null) {
            cur.markOld();
            m.old = cur;
        }
        m.current = v;
        servers.commit();
        log(v, "loaded " + v.label() + (cur == null ? "" : "; " + cur.label() + " is now old"));
        return v;
    }

    /**
     * The module's bundle, restored to the jar of {@code restoring(module)} after a rolled-back upgrade, has started
     * again as {@code src}: the same code, so the same version. It keeps running on its anchored first revision and is
     * re-bound to {@code src}'s revision at the bundle's next refresh. False when that version is no longer current
     * (then {@code src} is loaded as any new revision would be).
     */
    public boolean restored(ModuleSource src) {
        LoadedModule m = modules.get(src.header().module());
        if (m == null) {
            return false;
        }
        ModuleVersion cur;
        synchronized (m) {
            cur = m.current;
            if (cur == null || m.restoring != cur || !cur.version().equals(src.version())) {
                return false; // not the restore (e.g. a newer version loaded meanwhile): loaded as any revision is
            }
            m.restoring = null;
            cur.restoredTo(src.revision());
        }
        for (Listener l : listeners) {
            l.restored(cur, src.revision());
        }
        Log.info("restored bundle " + src.symbolicName() + " to " + src.version() + " after the rollback: "
                + cur.label() + " stays current");
        return true;
    }

    /**
     * The module bundle is about to be refreshed ({@code v}'s anchor is stopping): old code is purged, whichever
     * version's anchor told us (a refresh drops every revision of the bundle but its newest, and the old version's
     * anchor may have lost its wire in an earlier refresh, after a refused update); for the current version, every
     * class is loaded now, while its wiring still can, so its processes keep running after the wiring is disposed.
     */
    public void refreshing(ModuleVersion v) {
        LoadedModule m = modules.get(v.module());
        if (m == null) {
            return;
        }
        synchronized (m) {
            if (m.old != null) {
                purgeLocked(m, "refresh", false);
            }
            if (m.current == v) {
                ClassPreloader.loadAll(v);
            }
            forgetIfEmpty(m);
        }
    }

    /** Bundle {@code bundleId} was uninstalled: if it provides the module's current version, Erlang's delete. */
    public void uninstalled(String module, long bundleId) {
        LoadedModule m = modules.get(module);
        if (m == null) {
            return;
        }
        synchronized (m) {
            if (m.bundleId != bundleId) {
                return; // another bundle (e.g. one refused for claiming this module) leaves the module alone
            }
            m.bundleGone = true;
            if (m.current != null) {
                if (m.old != null) {
                    purgeLocked(m, "before deleting " + module, false);
                }
                deleteLocked(m);
            }
            forgetIfEmpty(m);
        }
    }

    /** Whether the code server has loaded {@code module} from bundle {@code bundleId}, which is still installed. */
    public boolean providedBy(String module, long bundleId) {
        LoadedModule m = modules.get(module);
        return m != null && m.bundleId == bundleId && !m.bundleGone;
    }

    // ------------------------------------------------------------------ API: the router's lookups

    /** The current version, or an error naming the module. */
    public ModuleVersion currentVersion(String module) {
        LoadedModule m = modules.get(module);
        ModuleVersion v = m == null ? null : m.current;
        if (v == null) {
            throw new HotcodeException("module " + module + (m == null ? " is not loaded" : " has no current version"));
        }
        return v;
    }

    /**
     * The version to restore the module's bundle to after a rolled-back upgrade, or null: set when the upgrade fails,
     * cleared when the restored revision starts.
     */
    public ModuleVersion restoring(String module) {
        LoadedModule m = modules.get(module);
        return m == null ? null : m.restoring;
    }

    /** The current version, or undef naming the call that needed it. */
    public ModuleVersion current(String module, String function, int arity) {
        LoadedModule m = modules.get(module);
        ModuleVersion v = m == null ? null : m.current;
        if (v == null) {
            throw new UndefException(module, function, arity, m == null ? "module " + module + " is not loaded"
                    : "module " + module + " has no current version" + (m.old != null ? " (only old code: " + m.old.label() + ")" : ""));
        }
        return v;
    }

    // ------------------------------------------------------------------ API: CodeServer

    @Override
    public boolean isLoaded(String module) {
        LoadedModule m = modules.get(module);
        return m != null && m.current != null;
    }

    @Override
    public Optional<ModuleInfo> which(String module) {
        LoadedModule m = modules.get(module);
        return m == null || m.internal ? Optional.empty() : Optional.of(info(m));
    }

    @Override
    public List<ModuleInfo> modules() {
        List<ModuleInfo> out = new ArrayList<>();
        modules.values().stream().filter(m -> !m.internal).sorted(Comparator.comparing(m -> m.name))
                .forEach(m -> out.add(info(m)));
        return out;
    }

    @Override
    public boolean checkProcessCode(Pid pid, String module) {
        Proc p = processes.lookup(pid);
        LoadedModule m = modules.get(module);
        ModuleVersion old = m == null ? null : m.old;
        return old != null && p.runs(old);
    }

    @Override
    public PurgeResult purge(String module) {
        return purge(module, PurgeMode.KILL);
    }

    /** An unknown module has nothing to purge: {@code purged} is false, as Erlang's purge of it is. */
    @Override
    public PurgeResult purge(String module, PurgeMode mode) {
        LoadedModule m = modules.get(module);
        if (m == null) {
            return new PurgeResult(module, false, List.of(), List.of());
        }
        boolean migrate = mode == PurgeMode.MIGRATE;
        synchronized (m) {
            PurgeResult r = purgeLocked(m, migrate ? "migrate purge" : "purge", migrate);
            forgetIfEmpty(m);
            return r;
        }
    }

    /** Nothing to purge, an unknown module included, is a success: {@code purged} is true, as in Erlang. */
    @Override
    public PurgeResult softPurge(String module) {
        LoadedModule m = modules.get(module);
        if (m == null) {
            return new PurgeResult(module, true, List.of(), List.of());
        }
        synchronized (m) {
            ModuleVersion old = m.old;
            if (old == null) {
                return new PurgeResult(module, true, List.of(), List.of());
            }
            List<Pid> blockers = new ArrayList<>(processes.select(p -> p.runs(old)));
            if (!blockers.isEmpty()) {
                return new PurgeResult(module, false, List.of(), blockers);
            }
            PurgeResult r = purgeLocked(m, "soft purge", false);
            forgetIfEmpty(m);
            return r;
        }
    }

    public void updateBundlesWith(BundleUpdater u) {
        this.updater = u;
    }

    @Override
    public VersionInfo load(String module, String url) {
        LoadedModule m = known(module);
        // one load at a time per module, so two cannot both pass the not_purged check; not the module's monitor,
        // which must not be held across a Felix update (a refresh may hold Felix's lock and wait for the monitor)
        if (!m.loading.compareAndSet(false, true)) {
            throw new HotcodeException("load: another load of " + module + " is in progress");
        }
        m.lastFailure = null; // only this load's failure may be reported below
        ModuleVersion any;
        long bundleId;
        String symbolicName;
        try {
            synchronized (m) {
                if (m.old != null) {
                    throw new HotcodeException("not_purged: " + module + " still has old code ("
                            + m.old.label() + "); purge or soft-purge it before loading another version");
                }
                if (m.bundleGone) {
                    throw new HotcodeException("load: the bundle of module " + module + " (" + m.owner()
                            + ") was uninstalled; install a bundle of the module to load it");
                }
                any = m.current; // null after delete and purge: the module is loaded again from its bundle
                bundleId = m.bundleId;
                symbolicName = m.symbolicName;
            }
            BundleUpdater u = updater;
            if (u == null) {
                throw new HotcodeException("load: no bundle framework to load " + url + " into");
            }
            u.update(bundleId, symbolicName, module, url);
        } finally {
            m.loading.set(false);
        }
        ModuleVersion now = m.current;
        if (m.lastFailure != null && now == any) {
            throw m.lastFailure;
        }
        if (now == null || now == any) {
            throw new HotcodeException("load: " + url + " did not become the current version of " + module
                    + (any == null ? "" : "; " + any.label() + " stays current") + " (see the log above)");
        }
        return info(now);
    }

    /** Refused (false) for an unknown module too, as Erlang's delete of it is. */
    @Override
    public boolean delete(String module) {
        LoadedModule m = modules.get(module);
        if (m == null) {
            return false;
        }
        synchronized (m) {
            if (m.current == null || m.old != null) {
                return false;
            }
            deleteLocked(m);
            return true;
        }
    }

    /** The version a class belongs to (for spawning a lambda), or null outside every module. */
    public ModuleVersion versionOf(Class<?> type) {
        return Crossing.ownerOf(type);
    }

    /** Every version the code server holds now, current and old. */
    public List<ModuleVersion> versions() {
        List<ModuleVersion> out = new ArrayList<>();
        for (LoadedModule m : modules.values()) {
            ModuleVersion c = m.current;
            ModuleVersion o = m.old;
            if (c != null) {
                out.add(c);
            }
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ internals

    private ModuleVersion.Binding bind(ModuleSource src) {
        String className = src.header().entryClass();
        Class<?> entry;
        try {
            entry = src.loader().loadClass(className);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BadModuleException(src.describe() + ": its " + ModuleHeader.NAME + " header names class "
                    + className + ", which the bundle cannot load (" + e + ")", e);
        }
        if (entry.getClassLoader() != src.loader()) {
            throw new BadModuleException(src.describe() + ": module class " + className
                    + " must be in the module's own bundle, but comes from " + entry.getClassLoader());
        }
        try {
            // initialized now, before it is current: a failing static initializer refuses the version, and the
            // first message the new version handles does not pay for class initialization
            Class.forName(className, true, src.loader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new BadModuleException(src.describe() + ": module class " + className
                    + " failed to initialize: " + (e.getCause() != null ? e.getCause() : e), e);
        }
        return new ModuleVersion.Binding(src.wiring(), src.loader(), entry, FunctionTable.of(entry, src.describe()));
    }

    private void rebind(ModuleVersion v, ModuleVersion.Binding binding) {
        v.rebind(binding);
        Crossing.OWNERS.put(binding.loader(), v);
        Log.info("re-bound " + v.label() + " to the refreshed bundle; its processes keep running");
    }

    private void deleteLocked(LoadedModule m) {
        ModuleVersion cur = m.current;
        cur.markOld();
        m.old = cur;
        m.current = null;
        log(cur, "deleted " + m.name + ": " + cur.label() + " is now old; calls to " + m.name + " fail with undef");
    }

    private PurgeResult purgeLocked(LoadedModule m, String why, boolean migrate) {
        ModuleVersion old = m.old;
        if (old == null) {
            return new PurgeResult(m.name, false, List.of(), List.of());
        }
        List<Proc> victims = processes.select(p -> p.runs(old));
        List<Pid> moved = new ArrayList<>();
        if (migrate && m.current != null) {
            victims = migrateLocked(old, m.current, victims, moved);
        }
        victims.forEach(Proc::kill);
        List<Pid> blockers = new ArrayList<>();
        long deadline = System.currentTimeMillis() + purgeBoundMillis;
        Proc self = Proc.currentOrNull();
        for (Proc p : victims) {
            if (p == self) {
                continue; // a victim running the purge itself unwinds when it next calls the runtime
            }
            try {
                if (!p.awaitExit(deadline - System.currentTimeMillis())) {
                    blockers.add(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                blockers.add(p);
            }
        }
        m.old = null;
        old.markPurged();
        Crossing.OWNERS.values().removeIf(v -> v == old);
        List<Pid> killed = new ArrayList<>(victims);
        log(old, "purged " + old.label() + " (" + why + "): "
                + (moved.isEmpty() ? "" : "moved " + pids(moved) + " to " + m.current.label() + "; ")
                + (killed.isEmpty() ? (moved.isEmpty() ? "no process was running it" : "killed none") : "killed " + pids(killed))
                + (blockers.isEmpty() ? "" : "; still running after " + purgeBoundMillis + " ms: " + pids(blockers)));
        for (Listener l : listeners) {
            l.purged(old); // non-blocking listeners only (anchor release is asynchronous): we hold the module's lock
        }
        return new PurgeResult(m.name, true, killed, blockers, moved);
    }

    /**
     * The migrate purge's first pass: servers between messages move through the upgrader; plain processes parked in
     * receive at the start of a qualified step re-run that step on {@code current}. Returns the processes left to kill.
     */
    private List<Proc> migrateLocked(ModuleVersion old, ModuleVersion current, List<Proc> victims, List<Pid> moved) {
        Upgrader u = upgrader;
        List<Proc> movedServers = u == null ? List.of() : u.migrate(old, current, victims);
        moved.addAll(movedServers);
        List<Proc> asked = new ArrayList<>();
        List<Proc> rest = new ArrayList<>();
        for (Proc p : victims) {
            if (movedServers.contains(p) || p.behaviour() != null) {
                if (!movedServers.contains(p)) {
                    rest.add(p); // a server in a callback (or one whose migration failed and exited)
                }
            } else if (p.requestMove(old)) {
                asked.add(p);
            } else {
                rest.add(p);
            }
        }
        long deadline = System.currentTimeMillis() + purgeBoundMillis;
        for (Proc p : asked) {
            Boolean answer;
            // short pauses, not a spin: on a machine with few cores the answer comes from a process that needs one
            while ((answer = p.moveAnswer()) == null && System.currentTimeMillis() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            if (Boolean.TRUE.equals(answer)) {
                // it accepted: it re-enters through a qualified call; wait until it has left the old version
                while (p.isAlive() && p.runs(old) && System.currentTimeMillis() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
            }
            p.clearMove();
            if (Boolean.TRUE.equals(answer) && p.isAlive() && !p.runs(old)) {
                moved.add(p);
            } else if (p.runs(old)) {
                rest.add(p); // one that left old code by its own qualified call meanwhile is no victim
            }
        }
        return rest;
    }

    /** Logs an event of {@code v}'s module, unless the module is internal (the runtime's start-up warm-ups). */
    private static void log(ModuleVersion v, String line) {
        if (!v.isInternal()) {
            Log.info(line);
        }
    }

    /** A pid list for the log: all of a short one, the count and the first ten of a long one. */
    private static String pids(List<Pid> pids) {
        return pids.size() <= 10 ? pids.toString() : pids.size() + " processes " + pids.subList(0, 10) + "...";
    }

    /**
     * Drops the slot of a module with no version left whose bundle is gone: Erlang's non_existing. Never inside a
     * load (the slot is being filled) and only with the module's lock held.
     */
    private void forgetIfEmpty(LoadedModule m) {
        if (m.forgettable()) {
            modules.remove(m.name, m);
        }
    }

    /** For {@code load}, which needs the module's bundle: an error naming the module and the ones there are. */
    private LoadedModule known(String module) {
        LoadedModule m = modules.get(module);
        if (m == null || m.internal) {
            List<String> known = modules.values().stream().filter(k -> !k.internal).map(k -> k.name).sorted().toList();
            throw new HotcodeException("load: no module named " + module + " is known to the code server; install and"
                    + " start a bundle with a Hotcode-Module header for it first"
                    + (known.isEmpty() ? "" : " (known: " + String.join(", ", known) + ")"));
        }
        return m;
    }

    private ModuleInfo info(LoadedModule m) {
        return new ModuleInfo(m.name, m.status(), Optional.ofNullable(m.current).map(this::info),
                Optional.ofNullable(m.old).map(this::info));
    }

    private VersionInfo info(ModuleVersion v) {
        int n = processes.select(p -> p.runs(v)).size();
        return new VersionInfo(v.module(), v.vsn(), v.version(), v.bundleId(), v.location(), n);
    }
}
