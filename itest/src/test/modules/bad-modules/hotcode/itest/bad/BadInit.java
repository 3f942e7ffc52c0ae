package hotcode.itest.bad;

/** A module class whose static initializer throws: the runtime must refuse the version (ModuleLifecycleIT). */
public final class BadInit {
    static {
        if (Boolean.parseBoolean("true")) {
            throw new IllegalStateException("BadInit's static initializer fails (on purpose, for ModuleLifecycleIT)");
        }
    }

    private BadInit() {
    }

    public static String vsn() {
        return "bad";
    }
}
