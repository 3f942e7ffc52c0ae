package hotcode.itest.cross;

import hotcode.runtime.api.From;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

/**
 * Version 1 of ReleaseIT's cross server: "vsn" answers "1"; "both" answers "1/" and the peer's "vsn" (the other
 * module's version that answered), and counts the call; "calls" answers the count.
 */
public final class CrossServer implements Server<CrossServer.State> {
    public record State(String peer, int calls) {
    }

    @Override
    public State init(Object arg) {
        return new State((String) arg, 0);
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        return switch (String.valueOf(request)) {
            case "vsn" -> Reply.reply("1", s);
            case "both" -> Reply.reply("1/" + GenServer.call(s.peer(), "vsn"), new State(s.peer(), s.calls() + 1));
            case "calls" -> Reply.reply((long) s.calls(), s);
            default -> Reply.reply("unknown " + request, s);
        };
    }
}
