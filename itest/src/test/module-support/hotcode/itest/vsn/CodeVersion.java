package hotcode.itest.vsn;

/**
 * The version a test module's code was built as, read by the code itself: how a module written once for every version
 * (the echo, tools and storm sets) tells its versions apart, each revision its own, so old code keeps answering its
 * own version after an update.
 *
 * <p>It is the {@code Implementation-Version} of the class's package, which {@code hotcode.itest.TestModules#jar}
 * writes into each jar: N for a set named {@code <set>-vN} (echo-v2: 2), else the jar's Bundle-Version. Felix defines
 * each package of a bundle from the headers of the revision that loads it. (Reading {@code META-INF/MANIFEST.MF}
 * through the class loader would not do: from an old revision, Felix 7.0.5 serves the current revision's manifest,
 * and after a refresh none.)
 *
 * <p>Not a set of its own: {@code TestModules.compileAll} puts this folder on javac's source path, so each set that
 * uses this class gets its own copy, in its own jar.
 */
public final class CodeVersion {
    private CodeVersion() {
    }

    /** The version {@code type}'s code was built as, e.g. {@code "2.0.0"} or {@code "2"}; {@code "?"} if none. */
    public static String of(Class<?> type) {
        String v = type.getPackage() == null ? null : type.getPackage().getImplementationVersion();
        return v == null ? "?" : v;
    }

    /** {@code "v"} and the major part of {@link #of}: {@code "v2"} for 2 or 2.0.0 (how echo and tools answer). */
    public static String tag(Class<?> type) {
        String v = of(type);
        int dot = v.indexOf('.');
        return "v" + (dot < 0 ? v : v.substring(0, dot));
    }
}
