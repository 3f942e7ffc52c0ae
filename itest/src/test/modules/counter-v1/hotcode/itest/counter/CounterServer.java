package hotcode.itest.counter;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

import java.util.ArrayList;
import java.util.List;

/** Version 1 of ServerUpgradeIT's server: a count, a migration mode, and the casts it has seen, in order. */
public final class CounterServer implements Server<CounterServer.State> {
    public record State(int n, String mode, List<String> seen) {
    }

    @Override
    public State init(Object arg) {
        Object[] a = (Object[]) arg;
        return new State((Integer) a[0], (String) a[1], List.of());
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        return switch (String.valueOf(request)) {
            case "get" -> Reply.reply(s.n(), s);
            case "seen" -> Reply.reply(s.seen(), s);
            case "shape" -> Reply.reply("v1", s);
            default -> Reply.reply("unknown " + request, s);
        };
    }

    @Override
    public State handleCast(Object message, State s) {
        List<String> seen = new ArrayList<>(s.seen());
        seen.add(String.valueOf(message));
        return new State(s.n(), s.mode(), List.copyOf(seen));
    }
}
