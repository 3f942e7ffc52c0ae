package hotcode.runtime.impl.code;

import hotcode.runtime.api.UndefException;

/**
 * One loaded version of a module: a bundle revision, the class loader of its wiring, and its function table.
 * Processes record the versions they run by reference to this object.
 *
 * <p>A refresh of the module bundle gives the <em>same</em> revision a new wiring (Felix reuses the revision object),
 * so the current version is re-bound to the new loader in place: it stays the same version, its processes keep
 * running, and qualified calls go to the new loader from then on.
 */
public final class ModuleVersion {
    /** What a version is bound to; replaced as a whole when a refresh re-binds the version. */
    public record Binding(ModuleRevision wiring, ClassLoader loader, Class<?> entry, FunctionTable functions) {
    }

    private final String module;
    private final int vsn;
    private final String version;
    private final long bundleId;
    private final String location;
    private final ModuleRevision revision;
    private final boolean internal;
    private volatile Binding binding;
    private volatile boolean old;
    private volatile boolean purged;
    private volatile boolean rebound;
    /**
     * Whether another class loader than this version's owns classes of its module too (another version is loaded, or
     * this one was re-wired by a refresh): only then are values that reach this version's code checked
     * ({@link Crossing#check}). Kept by {@link Crossing}.
     */
    private volatile boolean twoLoaders;
    /** The revision that now holds this version's code, after a rolled-back upgrade restored the bundle's jar. */
    private volatile ModuleRevision restoredTo;

    ModuleVersion(String module, int vsn, String version, long bundleId, String location, ModuleRevision revision,
                  Binding binding, boolean internal) {
        this.module = module;
        this.vsn = vsn;
        this.version = version;
        this.bundleId = bundleId;
        this.location = location;
        this.revision = revision;
        this.binding = binding;
        this.internal = internal;
    }

    public String module() {
        return module;
    }

    public int vsn() {
        return vsn;
    }

    /** The bundle version, e.g. {@code 2.0.0}. */
    public String version() {
        return version;
    }

    public long bundleId() {
        return bundleId;
    }

    public String location() {
        return location;
    }

    /** The bundle revision this version was loaded from. */
    public ModuleRevision revision() {
        return revision;
    }

    /** The revision and wiring the version runs on now (after a refresh, the same revision on a new wiring). */
    public ModuleRevision wiring() {
        return binding.wiring();
    }

    public ClassLoader loader() {
        return binding.loader();
    }

    public Class<?> entryClass() {
        return binding.entry();
    }

    public boolean isOld() {
        return old;
    }

    public boolean isPurged() {
        return purged;
    }

    /**
     * Whether this is a version of one of the runtime's internal modules (a start-up warm-up, see
     * {@link ModuleSource#internal()}): not listed, not logged, its processes not shown.
     */
    public boolean isInternal() {
        return internal;
    }

    /** "pingpong 2.0.0": how logs and errors name a version. */
    public String label() {
        return module + " " + version;
    }

    /** The function, or Erlang's undef naming the module, function, arity and version. */
    /** This version's functions named {@code name}, by arity (none when it has no such function). */
    public java.util.List<ModuleFunction> functions(String name) {
        return binding.functions().named(name);
    }

    public ModuleFunction function(String name, int arity) {
        ModuleFunction f = binding.functions().find(name, arity);
        if (f == null) {
            throw new UndefException(module, name, arity, binding.functions().hasName(name)
                    ? label() + " has " + name + " but not with " + arity + " argument(s)"
                    : label() + " does not export " + name);
        }
        return f;
    }

    void rebind(Binding b) {
        binding = b;
        rebound = true;
    }

    /** Whether a refresh re-bound this version: objects it made before are of classes its code no longer has. */
    public boolean wasRebound() {
        return rebound;
    }

    void restoredTo(ModuleRevision revision) {
        restoredTo = revision;
    }

    /** Whether {@code r} holds this version's code: its own revision, or the one a rollback restored its jar to. */
    public boolean holdsCode(ModuleRevision r) {
        ModuleRevision restored = restoredTo;
        return revision.sameRevision(r) || restored != null && restored.sameRevision(r);
    }

    /**
     * Binds {@code src} as a module version would be: its entry class loaded and initialized from the bundle's own
     * loader, its function table built. Throws {@link BadModuleException}, changing nothing, when the bundle is not a
     * usable module (a missing class, a class of another bundle, a failing static initializer, duplicate functions).
     */
    public static Binding bind(ModuleSource src) {
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
        return new Binding(src.revision(), src.loader(), entry, FunctionTable.of(entry, src.describe()));
    }

    void markOld() {
        old = true;
    }

    void markCurrent() {
        old = false;
    }

    void markPurged() {
        purged = true;
    }

    @Override
    public String toString() {
        return label() + " (vsn " + vsn + ")";
    }

    /** See {@link #twoLoaders}. */
    boolean twoLoaders() {
        return twoLoaders;
    }

    void twoLoaders(boolean two) {
        twoLoaders = two;
    }
}
