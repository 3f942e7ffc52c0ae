package hotcode.bench.server;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

/**
 * The benchmark's server, version 1: a counter whose state is {@code State(id, calls)}.
 * <ul>
 * <li>{@code inc}: counts the call, answers the new count (a {@code Long}): what the latency clients call;</li>
 * <li>{@code get}: answers {@code {Vsn, Id, Calls, Upgrades}} and changes nothing: what the driver checks with
 *     (version 1 has no {@code upgrades} component, so it answers 0).</li>
 * </ul>
 * {@link #codeChange} is the downgrade from version 2 (whose state has an extra component): {@link Records#convert}
 * drops it.
 */
public final class Counter implements Server<Counter.State> {
    public record State(int id, long calls) {
    }

    @Override
    public State init(Object arg) {
        return new State((Integer) arg, 0);
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request == BenchSrv.INC) {
            State n = new State(s.id(), s.calls() + 1);
            return Reply.reply(n.calls(), n);
        }
        if (request == BenchSrv.GET) {
            return Reply.reply(Tuple.of(BenchSrv.VSN, s.id(), s.calls(), 0), s);
        }
        return Reply.reply(Tuple.of(BenchSrv.ERROR, request), s);
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        return Records.convert(oldState, State.class);
    }
}
