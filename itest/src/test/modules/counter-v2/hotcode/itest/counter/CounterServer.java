package hotcode.itest.counter;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Version 2 of ServerUpgradeIT's server: the count widened to long and the version it was migrated from. Its
 * codeChange fails for a server whose mode is "throw" while the system property {@code hotcode.itest.failOn} is
 * "throw" (the broken v2); with the property cleared the same classes are the fixed v3.
 */
public final class CounterServer implements Server<CounterServer.State> {
    public record State(long n, String mode, List<String> seen, String migratedFrom) {
    }

    @Override
    public State init(Object arg) {
        Object[] a = (Object[]) arg;
        return new State((Integer) a[0], (String) a[1], List.of(), "-");
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        return switch (String.valueOf(request)) {
            case "get" -> Reply.reply((int) s.n(), s);
            case "seen" -> Reply.reply(s.seen(), s);
            case "shape" -> Reply.reply("v2 from " + s.migratedFrom(), s);
            default -> Reply.reply("unknown " + request, s);
        };
    }

    @Override
    public State handleCast(Object message, State s) {
        List<String> seen = new ArrayList<>(s.seen());
        seen.add(String.valueOf(message));
        return new State(s.n(), s.mode(), List.copyOf(seen), s.migratedFrom());
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        String mode = (String) Records.fields(oldState).get("mode");
        if (mode.equals(System.getProperty("hotcode.itest.failOn"))) {
            throw new IllegalStateException("codeChange refuses mode " + mode);
        }
        return Records.convert(oldState, State.class, Map.of("migratedFrom", oldVersion));
    }
}
