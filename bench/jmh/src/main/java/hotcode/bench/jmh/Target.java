package hotcode.bench.jmh;

/** The module the JMH benchmark loads into a bare Kernel (module "jm"). */
public final class Target {
    private Target() {
    }

    public static long inc(long x) {
        return x + 1;
    }
}
