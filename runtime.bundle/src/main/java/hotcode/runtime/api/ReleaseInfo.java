package hotcode.runtime.api;

import java.util.List;

/**
 * A release the code server has installed, as Erlang's {@code release_handler:which_releases} lists them: its name,
 * version, status ({@code current}: the last one installed; {@code old}: installed before it) and its bundles
 * ({@code "<symbolic name> <version>"}, modules and libraries) and the release file it was installed from (a URL),
 * which a downgrade reads again. Releases are known from their installation on; the list is not kept across a
 * restart of the runtime bundle.
 */
public record ReleaseInfo(String name, String version, String status, List<String> bundles, String source) {
    public static final String CURRENT = "current";
    public static final String OLD = "old";

    public ReleaseInfo {
        bundles = List.copyOf(bundles);
    }

    @Override
    public String toString() {
        return name + " " + version + " (" + status + ")";
    }
}
