package ${package};

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The server of {@code ${moduleName}}, version 1.0.0: counts keys.
 * <ul>
 * <li>call or cast {@code {add, Key}} → the key's new count (a cast answers nothing)</li>
 * <li>call {@code {count, Key}} → the key's count, 0 if never added</li>
 * <li>call {@code vsn} → {@code "1.0.0"}</li>
 * </ul>
 */
public final class TallyServer implements Server<TallyServer.State> {
    static final String VSN = "1.0.0";
    static final Atom ADD = atom("add");
    static final Atom COUNT = atom("count");
    static final Atom TOTAL = atom("total");
    static final Atom VSN_REQUEST = atom("vsn");
    static final Atom ERROR = atom("error");

    /** Version 1's state: key → count, sorted by key. */
    public record State(SortedMap<String, Long> counts) {
        public State {
            counts = Collections.unmodifiableSortedMap(new TreeMap<>(counts));
        }

        State add(String key) {
            TreeMap<String, Long> c = new TreeMap<>(counts);
            c.merge(key, 1L, Long::sum);
            return new State(c);
        }
    }

    public TallyServer() {
    }

    @Override
    public State init(Object arg) {
        return new State(new TreeMap<>());
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request instanceof Tuple t && t.isTagged(ADD, 2)) {
            String key = t.get(1, String.class);
            State next = s.add(key);
            return Reply.reply(next.counts().get(key), next);
        }
        if (request instanceof Tuple t && t.isTagged(COUNT, 2)) {
            return Reply.reply(s.counts().getOrDefault(t.get(1, String.class), 0L), s);
        }
        if (request == VSN_REQUEST) {
            return Reply.reply(VSN, s);
        }
        return Reply.reply(tuple(ERROR, tuple(atom("unknown_request"), request)), s);
    }

    @Override
    public State handleCast(Object message, State s) throws Exception {
        if (message instanceof Tuple t && t.isTagged(ADD, 2)) {
            return s.add(t.get(1, String.class));
        }
        return Server.super.handleCast(message, s); // logged and counted as unexpected
    }
}
