package hotcode.itest.vsn;

import java.io.IOException;
import java.io.InputStream;
import java.util.jar.Manifest;

/**
 * The {@code Bundle-Version} of the jar a class was loaded from: how a test module written once for every version
 * (the echo, tools and storm sets) tells its versions apart. It reads the manifest of the class's own bundle revision,
 * so an old version keeps answering its own version after an update.
 *
 * <p>Not a set of its own: {@code hotcode.itest.TestModules.compileAll} puts this folder on javac's source path, so
 * each set that uses this class gets its own copy, in its own jar.
 */
public final class BundleVersion {
    private BundleVersion() {
    }

    /** The Bundle-Version of {@code type}'s jar, e.g. {@code "2.0.0"}; {@code "?"} if it has none. */
    public static String of(Class<?> type) {
        try (InputStream in = type.getClassLoader().getResourceAsStream("META-INF/MANIFEST.MF")) {
            String v = in == null ? null : new Manifest(in).getMainAttributes().getValue("Bundle-Version");
            return v == null ? "?" : v;
        } catch (IOException e) {
            return "?";
        }
    }

    /** {@code "v"} and the major part of {@link #of}: {@code "v2"} for 2.0.0 (how echo and tools name a version). */
    public static String tag(Class<?> type) {
        String v = of(type);
        int dot = v.indexOf('.');
        return "v" + (dot < 0 ? v : v.substring(0, dot));
    }
}
