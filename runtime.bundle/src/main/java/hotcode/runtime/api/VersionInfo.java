package hotcode.runtime.api;

/**
 * One loaded version of a module: the bundle revision it comes from and how many processes run it now.
 * {@code vsn} counts the module's loads from 1, so two loads of the same bundle version stay distinct.
 */
public record VersionInfo(String module, int vsn, String version, long bundleId, String location, int processes) {
    @Override
    public String toString() {
        return module + " " + version + " (vsn " + vsn + ", bundle " + bundleId + ")";
    }
}
