package hotcode.itest.cstorm;

import hotcode.itest.vsn.CodeVersion;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

/**
 * A server of module cstorm for the coordinated-load benchmark (hotcode.itest.ClusterLoadBench), started by the
 * thousands ({@link ClusterStorm#cells}). Its state {@code {Id, Calls, Vsn}} is migrated at every upgrade: the
 * codeChange keeps id and calls and writes the version it now runs, so each upgrade is a real state migration (as in
 * the single-node servers benchmark) and a call tells which version a cell's state came through.
 */
public final class Cell implements Server<Tuple> {
    @Override
    public Tuple init(Object arg) {
        return Tuple.of(arg, 0L, CodeVersion.of(Cell.class));
    }

    @Override
    public Reply<Tuple> handleCall(Object request, From from, Tuple state) {
        Tuple next = Tuple.of(state.get(0), (Long) state.get(1) + 1, state.get(2));
        return Reply.reply(state.get(2), next);
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        Tuple old = (Tuple) oldState;
        return Tuple.of(old.get(0), old.get(1), CodeVersion.of(Cell.class));
    }
}
