package hotcode.runtime.api;

/**
 * One loaded version of a module: the bundle revision it comes from and how many processes run it now.
 * {@code vsn} counts the module's loads from 1, so two loads of the same bundle version stay distinct.
 * {@code location} is where this version's jar came from: the URL given to {@link CodeServer#load}, a release's or
 * the deploy folder's jar, the bundle's location when the jar there is this version; after an update from a stream
 * (Gogo's {@code update <id> <url>}), which the framework does not name, {@code "updated from a stream (bundle
 * location ...)"}.
 */
public record VersionInfo(String module, int vsn, String version, long bundleId, String location, int processes) {
    @Override
    public String toString() {
        return module + " " + version + " (vsn " + vsn + ", bundle " + bundleId + ")";
    }
}
