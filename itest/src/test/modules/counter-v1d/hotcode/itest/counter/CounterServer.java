package hotcode.itest.counter;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Version 1 of ServerUpgradeIT's server (as counter-v1) that can also be downgraded to (ReleaseIT): its codeChange
 * reads a newer version's state by its components (the count narrowed back to int, the version it came from
 * dropped) and says where it came from in "shape".
 */
public final class CounterServer implements Server<CounterServer.State> {
    public record State(int n, String mode, List<String> seen, String downFrom) {
    }

    @Override
    public State init(Object arg) {
        Object[] a = (Object[]) arg;
        return new State((Integer) a[0], (String) a[1], List.of(), "-");
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        return switch (String.valueOf(request)) {
            case "get" -> Reply.reply(s.n(), s);
            case "seen" -> Reply.reply(s.seen(), s);
            case "shape" -> Reply.reply(s.downFrom().equals("-") ? "v1" : "v1 down from " + s.downFrom(), s);
            default -> Reply.reply("unknown " + request, s);
        };
    }

    @Override
    public State handleCast(Object message, State s) {
        List<String> seen = new ArrayList<>(s.seen());
        seen.add(String.valueOf(message));
        return new State(s.n(), s.mode(), List.copyOf(seen), s.downFrom());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        Map<String, Object> f = Records.fields(oldState);
        return new State(((Number) f.get("n")).intValue(), (String) f.get("mode"),
                List.copyOf((List<String>) f.get("seen")), oldVersion);
    }
}
