package hotcode.itest.rellib;

/** Version 2 of ReleaseIT's library bundle: a plain bundle (no module) that the module relmod imports. */
public final class Lib {
    private Lib() {
    }

    public static String version() {
        return "lib2";
    }
}
