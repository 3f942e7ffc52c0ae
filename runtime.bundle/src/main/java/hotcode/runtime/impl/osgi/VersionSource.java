package hotcode.runtime.impl.osgi;

import org.osgi.framework.Bundle;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * Where a module version's jar came from, as {@code hotcode:which} shows it, when the runtime did not load it itself.
 *
 * <p>OSGi keeps one location per bundle, not per revision: after {@code update <id> <url>} (Gogo opens the URL and
 * hands Felix a stream) the bundle's location still names the jar it was installed from, so showing it for both the
 * current and the old version would say both came from one file. This reads the jar at the location (a {@code file:}
 * URL only: never the network, on a load): if its manifest is this revision's symbolic name and version, the location
 * is this version's source; otherwise the version came from a stream the framework does not name, and we say so.
 * The runtime's own loads ({@code hotcode:load}, the deploy folder, releases) record their URL instead.
 */
final class VersionSource {
    private VersionSource() {
    }

    static String of(Bundle b) {
        String location = b.getLocation();
        if (location == null || !location.startsWith("file:")
                || matches(location, b.getSymbolicName(), b.getVersion().toString())) {
            // not a file (mvn:, http:, a name): not read on a load, so shown as the framework has it
            return location;
        }
        return "updated from a stream (bundle location " + location + ")";
    }

    /** Whether the jar at {@code location} (a file: URL) is bundle {@code symbolicName} at {@code version}. */
    static boolean matches(String location, String symbolicName, String version) {
        try (InputStream in = URI.create(location).toURL().openStream(); JarInputStream jar = new JarInputStream(in)) {
            Manifest m = jar.getManifest();
            if (m == null) {
                return false;
            }
            Attributes a = m.getMainAttributes();
            String bsn = a.getValue("Bundle-SymbolicName");
            String v = a.getValue("Bundle-Version");
            return bsn != null && bsn.split(";")[0].trim().equals(symbolicName)
                    && v != null && org.osgi.framework.Version.parseVersion(v.trim()).toString().equals(version);
        } catch (IOException | RuntimeException e) {
            return false; // gone, unreadable or not a jar: not this version's source
        }
    }

}
