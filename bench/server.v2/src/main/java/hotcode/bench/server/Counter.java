package hotcode.bench.server;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The benchmark's server, version 2: the state record changes shape, {@code State(id, calls, upgrades)}. Calls as
 * in version 1 ({@code inc}, {@code get} answering {@code {2, Id, Calls, Upgrades}}).
 *
 * <p>{@link #codeChange} reads version 1's record with {@link Records#convert} (by component name; {@code upgrades},
 * which version 1 lacks, starts at 0) and counts the upgrade. The failing variants (see {@link BenchSrv#FAIL}) throw
 * in one server, which rolls the whole upgrade back.
 */
public final class Counter implements Server<Counter.State> {
    public record State(int id, long calls, int upgrades) {
    }

    /** codeChange calls made in this revision (each revision has its own class, so its own count). */
    private static final AtomicInteger MIGRATIONS = new AtomicInteger();

    @Override
    public State init(Object arg) {
        return new State((Integer) arg, 0, 0);
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request == BenchSrv.INC) {
            State n = new State(s.id(), s.calls() + 1, s.upgrades());
            return Reply.reply(n.calls(), n);
        }
        if (request == BenchSrv.GET) {
            return Reply.reply(Tuple.of(BenchSrv.VSN, s.id(), s.calls(), s.upgrades()), s);
        }
        return Reply.reply(Tuple.of(BenchSrv.ERROR, request), s);
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        State s = Records.convert(oldState, State.class, Map.of("upgrades", 0));
        s = new State(s.id(), s.calls(), s.upgrades() + 1);
        String fail = BenchSrv.FAIL;
        if (fail != null) {
            int n = BenchSrv.servers();
            int k = MIGRATIONS.incrementAndGet();
            if (fail.equals("middle") && s.id() == n / 2) {
                throw new IllegalStateException("benchmark variant: codeChange fails on purpose in the server with id "
                        + s.id() + " of " + n);
            }
            if (fail.equals("last") && k == n) {
                throw new IllegalStateException("benchmark variant: codeChange fails on purpose in the last server to "
                        + "migrate (call " + k + " of " + n + ", id " + s.id() + ")");
            }
        }
        return s;
    }
}
