package hotcode.bench.server;

import hotcode.runtime.api.Atom;

/**
 * Module {@code benchsrv}, version 1: the entry class (the module's functions) of the servers benchmark. The server
 * itself is {@link Counter}; the driver starts it with {@code GenServer.start(Counter.class, id)}.
 */
public final class BenchSrv {
    /** This version's number, answered in {@code get} replies so the driver can tell which code served a call. */
    public static final int VSN = 1;
    static final Atom GET = Atom.of("get");
    static final Atom INC = Atom.of("inc");
    static final Atom ERROR = Atom.of("error");

    private BenchSrv() {
    }

    public static int vsn() {
        return VSN;
    }
}
