package hotcode.runtime.impl.code;

import java.util.List;

/**
 * Where a module version comes from: its parsed header, the bundle revision and the wiring's class loader. The
 * extender makes these from bundles; tests make them from plain classes.
 *
 * <p>An {@code internal} source is the runtime's own (a start-up warm-up): its versions are marked
 * {@link ModuleVersion#isInternal() internal}, and the code server neither lists nor logs the module and gives its
 * processes pids of their own (see {@code ProcessTable}).
 */
public record ModuleSource(ModuleHeader header, String symbolicName, String version, long bundleId, String location,
                           ModuleRevision revision, ClassLoader loader, boolean internal) {
    /** A module bundle's source (not internal). */
    public ModuleSource(ModuleHeader header, String symbolicName, String version, long bundleId, String location,
                        ModuleRevision revision, ClassLoader loader) {
        this(header, symbolicName, version, bundleId, location, revision, loader, false);
    }

    /**
     * An internal module of the runtime, {@code module} with entry class {@code entry}, as version {@code version} of
     * a bundle that does not exist ({@code bundleId} below zero). Its name need not be a header's module name: a name
     * no header can declare (one with a dot) never meets a user module.
     */
    public static ModuleSource internal(String module, Class<?> entry, String version, long bundleId) {
        return new ModuleSource(new ModuleHeader(module, entry.getName(), List.of()), "hotcode.runtime." + module,
                version, bundleId, "hotcode:" + module, ModuleRevision.detached(), entry.getClassLoader(), true);
    }

    /** "bundle hotcode.pingpong 2.0.0 [7]": how errors name the bundle. */
    public String describe() {
        return "bundle " + symbolicName + " " + version + " [" + bundleId + "]";
    }
}
