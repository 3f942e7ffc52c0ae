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
    record Binding(Object wiring, ClassLoader loader, Class<?> entry, FunctionTable functions) {
    }

    private final String module;
    private final int vsn;
    private final String version;
    private final long bundleId;
    private final String location;
    private final Object revision;
    private final boolean internal;
    private volatile Binding binding;
    private volatile boolean old;
    private volatile boolean purged;
    private volatile boolean rebound;
    /** The revision that now holds this version's code, after a rolled-back upgrade restored the bundle's jar. */
    private volatile Object restoredTo;
    volatile Object anchor;

    ModuleVersion(String module, int vsn, String version, long bundleId, String location, Object revision,
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

    /** The bundle revision (an {@code org.osgi.framework.wiring.BundleRevision}), or null outside OSGi. */
    public Object revision() {
        return revision;
    }

    public Object wiring() {
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

    void restoredTo(Object revision) {
        restoredTo = revision;
    }

    public Object restoredTo() {
        return restoredTo;
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
}
