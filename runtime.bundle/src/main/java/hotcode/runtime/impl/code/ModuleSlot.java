package hotcode.runtime.impl.code;

import hotcode.runtime.api.ModuleInfo;

import java.util.concurrent.Semaphore;

/**
 * The code server's slot for one module name: its current and old version, and the bundle that provides it.
 *
 * <p>Every transition of the module (load, purge, delete, refresh) holds the slot's lock, taken with {@link #lock()}
 * and given back with {@link #unlock()} in a {@code finally}. It is a permit, not a monitor: a prepared upgrade holds
 * it from {@code prepare} to {@code commit} or {@code abort}, and a prepared upgrade left alone past its bound is
 * aborted by the runtime's watchdog thread, which must be able to give the permit back. Qualified calls read
 * {@link #current()} without locking (the version fields are volatile).
 *
 * <p>A slot lives as long as the module has a version or its bundle is installed: after {@code delete} and a purge
 * the module is {@code not_loaded}, and a {@code load} or {@code update} of that bundle loads it again. Only when the
 * bundle is uninstalled and no version is left does the registry forget the module.
 */
public final class ModuleSlot {
    final String name;
    /** One of the runtime's own modules ({@link ModuleSource#internal()}): left out of listings and logs. */
    final boolean internal;
    private final Semaphore lock = new Semaphore(1);
    /** The bundle that provides the module: a module's versions are revisions of this one bundle. */
    private volatile String symbolicName;
    private volatile long bundleId;
    /** The providing bundle was uninstalled: another bundle may provide the module from now on. */
    private volatile boolean bundleGone;
    private volatile ModuleVersion current;
    private volatile ModuleVersion old;
    /** A {@code CodeServer.load} of this module is in progress. */
    private final java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean();
    private int loads;

    ModuleSlot(String name, String symbolicName, long bundleId, boolean internal) {
        this.name = name;
        this.internal = internal;
        this.symbolicName = symbolicName;
        this.bundleId = bundleId;
    }

    // ------------------------------------------------------------------ any thread

    public String name() {
        return name;
    }

    /** One of the runtime's own modules (a start-up warm-up): not listed, not logged. */
    public boolean internal() {
        return internal;
    }

    public ModuleVersion current() {
        return current;
    }

    public ModuleVersion old() {
        return old;
    }

    public long bundleId() {
        return bundleId;
    }

    public String symbolicName() {
        return symbolicName;
    }

    public boolean bundleGone() {
        return bundleGone;
    }

    /** Erlang's code:module_status, as {@link ModuleInfo} documents it. */
    public String status() {
        return current != null ? ModuleInfo.LOADED : bundleGone ? ModuleInfo.REMOVED : ModuleInfo.NOT_LOADED;
    }

    /** "bundle hotcode.echo [7]": how errors name the bundle that owns the module. */
    public String owner() {
        return "bundle " + symbolicName + " [" + bundleId + "]";
    }

    /** One {@code CodeServer.load} at a time: false when another is in progress. */
    public boolean beginLoad() {
        return loading.compareAndSet(false, true);
    }

    public void endLoad() {
        loading.set(false);
    }

    // ------------------------------------------------------------------ the lock

    public void lock() {
        lock.acquireUninterruptibly();
    }

    public void unlock() {
        lock.release();
    }

    // ------------------------------------------------------------------ transitions (with the lock held)

    /**
     * Checks that {@code src} may provide this module: a revision of the bundle that owns it, or any bundle once the
     * owner was uninstalled (it then takes the module over). Throws {@link BadModuleException} naming the owner.
     */
    public void admit(ModuleSource src) {
        if (bundleGone) {
            symbolicName = src.symbolicName();
            bundleId = src.bundleId();
            bundleGone = false;
        }
        if (bundleId != src.bundleId() || !symbolicName.equals(src.symbolicName())) {
            throw new BadModuleException(src.describe() + " declares module " + name + ", which " + owner()
                    + " already provides; a module's versions are revisions of one bundle: update bundle ["
                    + bundleId + "] to load another version");
        }
    }

    /** A new version of this module from {@code src}, not yet current: its classes now count as this module's. */
    public ModuleVersion newVersion(ModuleSource src, ModuleVersion.Binding binding) {
        ModuleVersion v = new ModuleVersion(name, ++loads, src.version(), src.bundleId(), src.location(),
                src.revision(), binding, src.internal());
        Crossing.own(binding.loader(), v);
        return v;
    }

    /** A version made by {@link #newVersion} that will never be current (its upgrade was aborted). */
    public void discard(ModuleVersion v) {
        Crossing.disown(v.loader(), v);
        v.markPurged();
    }

    /** Loading: {@code v} becomes current, the current version (if any) becomes old. The old slot must be empty. */
    public ModuleVersion makeCurrent(ModuleVersion v) {
        ModuleVersion cur = current;
        if (cur != null) {
            cur.markOld();
            old = cur;
        }
        current = v;
        return cur;
    }

    /** Started again after a delete (e.g. stop/start): the old version, on the same wiring, is current again. */
    public void reinstateOld() {
        ModuleVersion o = old;
        o.markCurrent();
        old = null;
        current = o;
    }

    /** Erlang's delete: the current version becomes old. The old slot must be empty. */
    public ModuleVersion delete() {
        ModuleVersion cur = current;
        cur.markOld();
        old = cur;
        current = null;
        return cur;
    }

    /** The purge's last step: the old version is gone; its classes no longer count as the module's. */
    public ModuleVersion dropOld() {
        ModuleVersion o = old;
        old = null;
        o.markPurged();
        Crossing.purged(o);
        return o;
    }

    /** A refresh gave {@code v}'s revision a new wiring: same version, new class loader. */
    public void rebind(ModuleVersion v, ModuleVersion.Binding binding) {
        v.rebind(binding);
        Crossing.own(binding.loader(), v);
    }

    /** After a rolled-back upgrade, {@code v}'s bundle was restored to its jar as {@code revision}. */
    public void restoredTo(ModuleVersion v, ModuleRevision revision) {
        v.restoredTo(revision);
    }

    public void bundleUninstalled() {
        bundleGone = true;
    }

    /** Nothing left to remember: no version, and no bundle to load one from. */
    boolean forgettable() {
        return current == null && old == null && bundleGone;
    }
}
