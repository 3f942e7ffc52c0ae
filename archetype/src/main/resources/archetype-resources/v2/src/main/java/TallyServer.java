package ${package};

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The server of {@code ${moduleName}}, version 2.0.0. <b>The state changes shape</b>: it also keeps the total of all
 * adds, which answers the new request {@code total}. {@link #codeChange} migrates 1.0.0's state when the bundle is
 * updated from 1.0.0: the counts as they were, the total their sum.
 * <ul>
 * <li>call or cast {@code {add, Key}} → the key's new count (a cast answers nothing)</li>
 * <li>call {@code {count, Key}} → the key's count, 0 if never added</li>
 * <li>call {@code total} → all adds (new); call {@code vsn} → {@code "2.0.0"}</li>
 * </ul>
 */
public final class TallyServer implements Server<TallyServer.State> {
    static final String VSN = "2.0.0";
    static final Atom ADD = atom("add");
    static final Atom COUNT = atom("count");
    static final Atom TOTAL = atom("total");
    static final Atom VSN_REQUEST = atom("vsn");
    static final Atom ERROR = atom("error");

    /** Version 2's state: key → count, sorted by key, and the total of all counts. */
    public record State(SortedMap<String, Long> counts, long total) {
        public State {
            counts = Collections.unmodifiableSortedMap(new TreeMap<>(counts));
        }

        State add(String key) {
            TreeMap<String, Long> c = new TreeMap<>(counts);
            c.merge(key, 1L, Long::sum);
            return new State(c, total + 1);
        }
    }

    public TallyServer() {
    }

    @Override
    public State init(Object arg) {
        return new State(new TreeMap<>(), 0);
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
        if (request == TOTAL) {
            return Reply.reply(s.total(), s);
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

    /**
     * Migrates the state of the version being replaced, while the server is suspended (messages sent meanwhile wait
     * in its mailbox, and this version handles them). This class cannot name 1.0.0's {@code State} (another class
     * loader's class), so it reads it by shape: {@link Records#fields} gives its components in neutral form.
     * <ul>
     * <li>from 1.x: {@code State(counts)} becomes {@code State(counts, total = the sum of the counts)};</li>
     * <li>from 2.x (a reload of this version): the same shape, so {@link Records#convert} builds it.</li>
     * </ul>
     * Throwing here rolls the whole update back: the server stays on the old version with its state and mailbox.
     */
    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        if (oldVersion.startsWith("1.")) {
            Map<?, ?> old = (Map<?, ?>) Records.fields(oldState).get("counts");
            TreeMap<String, Long> counts = new TreeMap<>();
            long total = 0;
            for (Map.Entry<?, ?> e : old.entrySet()) {
                long n = ((Number) e.getValue()).longValue();
                counts.put((String) e.getKey(), n);
                total += n;
            }
            return new State(counts, total);
        }
        if (oldVersion.startsWith("2.")) {
            return Records.convert(oldState, State.class);
        }
        throw new IllegalArgumentException("${moduleName} " + VSN + " cannot take the state of ${moduleName} "
                + oldVersion);
    }
}
