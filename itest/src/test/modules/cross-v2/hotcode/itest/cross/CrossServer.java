package hotcode.itest.cross;

import hotcode.runtime.api.From;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

import java.util.Map;

/** Version 2 of ReleaseIT's cross server: the count widened to long, the version it came from kept; answers "2". */
public final class CrossServer implements Server<CrossServer.State> {
    public record State(String peer, long calls, String from) {
    }

    @Override
    public State init(Object arg) {
        return new State((String) arg, 0, "-");
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        return switch (String.valueOf(request)) {
            case "vsn" -> Reply.reply("2", s);
            case "both" -> Reply.reply("2/" + GenServer.call(s.peer(), "vsn"), new State(s.peer(), s.calls() + 1, s.from()));
            case "calls" -> Reply.reply(s.calls(), s);
            default -> Reply.reply("unknown " + request, s);
        };
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        return Records.convert(oldState, State.class, Map.of("from", oldVersion));
    }
}
