package hotcode.itest.relmod;

/**
 * ReleaseIT's module that imports the library bundle's package (hotcode.itest.rellib): it reads the library through
 * its own bundle's wiring (by name, so that this set compiles without the library), to show which library revision
 * each version of it is wired to.
 */
public final class RelMod {
    private RelMod() {
    }

    public static String lib() throws ReflectiveOperationException {
        Class<?> lib = Class.forName("hotcode.itest.rellib.Lib", true, RelMod.class.getClassLoader());
        return (String) lib.getMethod("version").invoke(null);
    }
}
