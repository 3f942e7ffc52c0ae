package hotcode.kv;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.ArrayList;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;
import static hotcode.runtime.api.Hotcode.whereis;

/**
 * The key-value server, version 2.1.0: <b>a broken release</b>. It adds to 2.0.0's state the time the store was
 * created, but its {@link #codeChange} has a bug, so every upgrade to it fails and is rolled back: the servers stay on
 * the version they ran, with their state and their mailbox, and the bundle goes back to its old jar.
 *
 * <p>Requests, as in 2.0.0, except:
 * <ul>
 * <li>call {@code stats} → {@code {stats, Keys, Writes, Created}}; call {@code vsn} → {@code "2.1.0"}</li>
 * </ul>
 */
public final class KvServer implements Server<KvServer.State> {
    static final String VSN = "2.1.0";
    static final Atom PUT = atom("put");
    static final Atom GET = atom("get");
    static final Atom DEL = atom("del");
    static final Atom APPEND = atom("append");
    static final Atom KEYS = atom("keys");
    static final Atom STATS = atom("stats");
    static final Atom VSN_REQUEST = atom("vsn");
    static final Atom OK = atom("ok");
    static final Atom NONE = atom("none");
    static final Atom ERROR = atom("error");
    static final Atom WROTE = atom("wrote");

    /** A value and how many times its key has been written (1 after the first write). */
    public record Entry(String value, int version) {
    }

    /** Version 2.1's state: 2.0.0's, plus when the store was created (milliseconds since the epoch). */
    public record State(SortedMap<String, Entry> data, long writes, long created) {
        public State {
            data = Collections.unmodifiableSortedMap(new TreeMap<>(data));
        }

        State with(String key, String value) {
            TreeMap<String, Entry> d = new TreeMap<>(data);
            if (value == null) {
                d.remove(key);
            } else {
                Entry old = d.get(key);
                d.put(key, new Entry(value, old == null ? 1 : old.version() + 1));
            }
            return new State(d, writes + 1, created);
        }
    }

    public KvServer() {
    }

    @Override
    public State init(Object arg) {
        return new State(new TreeMap<>(), 0, System.currentTimeMillis());
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request instanceof Tuple t && t.isTagged(PUT, 3)) {
            String key = t.get(1, String.class);
            Entry prev = s.data().get(key);
            State next = s.with(key, t.get(2, String.class));
            wrote(key);
            return Reply.reply(tuple(OK, prev == null ? NONE : prev.value(), next.data().get(key).version()), next);
        }
        if (request instanceof Tuple t && t.isTagged(GET, 2)) {
            Entry e = s.data().get(t.get(1, String.class));
            return Reply.reply(e == null ? NONE : e.value(), s);
        }
        if (request instanceof Tuple t && t.isTagged(DEL, 2)) {
            String key = t.get(1, String.class);
            Entry prev = s.data().get(key);
            if (prev == null) {
                return Reply.reply(tuple(OK, NONE), s);
            }
            wrote(key);
            return Reply.reply(tuple(OK, prev.value()), s.with(key, null));
        }
        if (request == KEYS) {
            return Reply.reply(new ArrayList<>(s.data().keySet()), s);
        }
        if (request == STATS) {
            return Reply.reply(tuple(STATS, s.data().size(), s.writes(), s.created()), s);
        }
        if (request == VSN_REQUEST) {
            return Reply.reply(VSN, s);
        }
        return Reply.reply(tuple(ERROR, tuple(atom("unknown_request"), request)), s);
    }

    @Override
    public State handleCast(Object message, State s) throws Exception {
        if (message instanceof Tuple t && t.isTagged(PUT, 3)) {
            String key = t.get(1, String.class);
            wrote(key);
            return s.with(key, t.get(2, String.class));
        }
        if (message instanceof Tuple t && t.isTagged(APPEND, 3)) {
            String key = t.get(1, String.class);
            Entry old = s.data().get(key);
            String text = t.get(2, String.class);
            wrote(key);
            return s.with(key, old == null ? text : old.value() + "," + text);
        }
        return Server.super.handleCast(message, s); // logged and counted as unexpected
    }

    /**
     * THE BUG: converts the old state as if it already had every component of this version's {@code State}. No older
     * version has {@code created} (and 1.0.0's values are plain strings, not entries), so {@link Records#convert}
     * throws, naming the component, and the whole upgrade is rolled back. The fix would pass the missing component:
     * {@code Records.convert(old, State.class, Map.of("created", System.currentTimeMillis()))}.
     */
    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        return Records.convert(oldState, State.class);
    }

    /** Tells the audit worker about a write, if it runs. A send to a pid never fails (a dead one: a dead letter). */
    static void wrote(String key) {
        Pid audit = whereis(Kv.AUDIT);
        if (audit != null) {
            send(audit, tuple(WROTE, key));
        }
    }
}
