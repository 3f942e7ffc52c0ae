package hotcode.bench.server;

import hotcode.runtime.api.Atom;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

/**
 * Module {@code benchsrv}, version 2 (also built as the failing variants 2.0.1 and 2.0.2, see {@link #FAIL}): the
 * entry class of the servers benchmark. The server is {@link Counter}.
 */
public final class BenchSrv {
    public static final int VSN = 2;
    static final Atom GET = Atom.of("get");
    static final Atom INC = Atom.of("inc");
    static final Atom ERROR = Atom.of("error");
    /**
     * The {@code Bench-Fail} header of this revision: null (the real version 2), {@code middle} (codeChange throws in
     * the server whose id is n/2) or {@code last} (codeChange throws in its n-th call, the last server to migrate);
     * n is the system property {@code hotcode.bench.servers.n} (the driver sets it), default 10,000.
     */
    static final String FAIL = header("Bench-Fail");

    private BenchSrv() {
    }

    public static int vsn() {
        return VSN;
    }

    static int servers() {
        return Integer.getInteger("hotcode.bench.servers.n", 10_000);
    }

    private static String header(String name) {
        Bundle b = FrameworkUtil.getBundle(BenchSrv.class);
        return b == null ? null : b.getHeaders("").get(name);
    }
}
