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
 * The key-value server, version 1.0.0: a {@link Server} whose state is a plain map of strings.
 *
 * <p>Requests are terms, so every version of the module (and any caller) can read them:
 * <ul>
 * <li>call {@code {put, Key, Value}} → {@code {ok, Previous}} ({@code none} when the key was new)</li>
 * <li>call {@code {get, Key}} → the value, or {@code none}</li>
 * <li>call {@code {del, Key}} → {@code {ok, Previous}}</li>
 * <li>call {@code keys} → the keys, sorted; call {@code vsn} → {@code "1.0.0"}, the version that answers</li>
 * <li>cast {@code {put, Key, Value}}; cast {@code {append, Key, Text}} (the value becomes {@code Old,Text})</li>
 * </ul>
 * Every write is reported to the audit worker ({@code kv_audit}) if it runs.
 */
public final class KvServer implements Server<KvServer.State> {
    static final String VSN = "1.0.0";
    static final Atom PUT = atom("put");
    static final Atom GET = atom("get");
    static final Atom DEL = atom("del");
    static final Atom APPEND = atom("append");
    static final Atom KEYS = atom("keys");
    static final Atom VSN_REQUEST = atom("vsn");
    static final Atom OK = atom("ok");
    static final Atom NONE = atom("none");
    static final Atom ERROR = atom("error");
    static final Atom WROTE = atom("wrote");

    /** Version 1's state: key → value, sorted by key. Version 2 changes this shape (see its codeChange). */
    public record State(SortedMap<String, String> data) {
        public State {
            data = Collections.unmodifiableSortedMap(new TreeMap<>(data));
        }

        State with(String key, String value) {
            TreeMap<String, String> d = new TreeMap<>(data);
            if (value == null) {
                d.remove(key);
            } else {
                d.put(key, value);
            }
            return new State(d);
        }
    }

    public KvServer() {
    }

    @Override
    public State init(Object arg) {
        return new State(new TreeMap<>());
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request instanceof Tuple t && t.isTagged(PUT, 3)) {
            String key = t.get(1, String.class);
            String prev = s.data().get(key);
            State next = s.with(key, t.get(2, String.class));
            wrote(key);
            return Reply.reply(tuple(OK, orNone(prev)), next);
        }
        if (request instanceof Tuple t && t.isTagged(GET, 2)) {
            return Reply.reply(orNone(s.data().get(t.get(1, String.class))), s);
        }
        if (request instanceof Tuple t && t.isTagged(DEL, 2)) {
            String key = t.get(1, String.class);
            String prev = s.data().get(key);
            if (prev != null) {
                wrote(key);
            }
            return Reply.reply(tuple(OK, orNone(prev)), s.with(key, null));
        }
        if (request == KEYS) {
            return Reply.reply(new ArrayList<>(s.data().keySet()), s);
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
            String old = s.data().get(key);
            String text = t.get(2, String.class);
            wrote(key);
            return s.with(key, old == null ? text : old + "," + text);
        }
        return Server.super.handleCast(message, s); // logged and counted as unexpected
    }

    /**
     * Upgrades from another load of 1.x (the same shape, but the old classes: a new version can never keep the old
     * version's objects). There is no version before 1.0.0.
     */
    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        if (oldVersion.startsWith("1.")) {
            return Records.convert(oldState, State.class);
        }
        throw new IllegalArgumentException("kv " + VSN + " cannot take the state of kv " + oldVersion);
    }

    /** Tells the audit worker about a write, if it runs. A send to a pid never fails (a dead one: a dead letter). */
    static void wrote(String key) {
        Pid audit = whereis(Kv.AUDIT);
        if (audit != null) {
            send(audit, tuple(WROTE, key));
        }
    }

    static Object orNone(String value) {
        return value == null ? NONE : value;
    }
}
