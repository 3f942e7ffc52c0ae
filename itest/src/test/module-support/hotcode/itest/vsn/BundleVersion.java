package hotcode.itest.vsn;

/**
 * The version of the bundle revision a class was loaded from: how a test module written once for every version (the
 * echo, tools and storm sets) tells its versions apart, so an old version keeps answering its own version after an
 * update.
 *
 * <p>It is the implementation version of the class's package: {@code hotcode.itest.TestModules#jar} writes the jar's
 * Bundle-Version as its {@code Implementation-Version} too, and Felix defines each package of a bundle from the
 * headers of the revision that loads it. (Reading {@code META-INF/MANIFEST.MF} through the class loader is not the
 * same: from an old revision, Felix 7.0.5 serves the current revision's manifest, and after a refresh none.)
 *
 * <p>Not a set of its own: {@code TestModules.compileAll} puts this folder on javac's source path, so each set that
 * uses this class gets its own copy, in its own jar.
 */
public final class BundleVersion {
    private BundleVersion() {
    }

    /** The version of {@code type}'s bundle revision, e.g. {@code "2.0.0"}; {@code "?"} if it has none. */
    public static String of(Class<?> type) {
        String v = type.getPackage() == null ? null : type.getPackage().getImplementationVersion();
        return v == null ? "?" : v;
    }

    /** {@code "v"} and the major part of {@link #of}: {@code "v2"} for 2.0.0 (how echo and tools name a version). */
    public static String tag(Class<?> type) {
        String v = of(type);
        int dot = v.indexOf('.');
        return "v" + (dot < 0 ? v : v.substring(0, dot));
    }
}
