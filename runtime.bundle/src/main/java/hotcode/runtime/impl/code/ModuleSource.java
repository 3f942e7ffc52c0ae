package hotcode.runtime.impl.code;

/**
 * Where a module version comes from: its parsed header, the bundle revision and the wiring's class loader. The
 * extender makes these from bundles; tests make them from plain classes.
 */
public record ModuleSource(ModuleHeader header, String symbolicName, String version, long bundleId, String location,
                           ModuleRevision revision, ClassLoader loader) {
    /** "bundle hotcode.pingpong 2.0.0 [7]": how errors name the bundle. */
    public String describe() {
        return "bundle " + symbolicName + " " + version + " [" + bundleId + "]";
    }
}
