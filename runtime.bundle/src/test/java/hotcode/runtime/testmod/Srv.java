package hotcode.runtime.testmod;

import hotcode.runtime.api.From;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;

import static hotcode.runtime.api.Hotcode.atom;

/**
 * The test module {@code srv}: server classes for the server behaviour's tests. Loaded by
 * {@link hotcode.runtime.testsupport.Modules}: two loads of this class are two versions whose classes have the same
 * names, as two revisions of a bundle would, so an upgrade between them migrates state across class loaders.
 */
public final class Srv {
    private Srv() {
    }

    /** The counter's state. {@code upgrade} says what this server's codeChange does: ok, throw, error, null, stale, slow. */
    public record State(int n, List<String> log, String upgrade) {
    }

    /** A counter: calls get/{add, K}/{log, S}/{defer}; casts incr; info {note, S}; counts its upgrades. */
    public static final class Counter implements Server<State> {
        public static volatile BlockingQueue<Object> events;

        @Override
        public State init(Object arg) {
            if (arg instanceof Tuple t && t.get(0) == atom("fail")) {
                throw new IllegalStateException("init refused: " + t.get(1));
            }
            return arg instanceof State s ? s : new State(arg instanceof Integer i ? i : 0, List.of(), "ok");
        }

        @Override
        public Reply<State> handleCall(Object request, From from, State s) {
            if (request == atom("get")) {
                return Reply.reply(s.n(), s);
            }
            if (request == atom("log")) {
                return Reply.reply(s.log(), s);
            }
            if (request == atom("version")) {
                return Reply.reply(Hotcode.codeServer().which("srv").orElseThrow().current().orElseThrow().version(), s);
            }
            if (request == atom("defer")) {
                return Reply.noReply(s); // never answered here: the caller times out
            }
            if (request == atom("null")) {
                return null;
            }
            if (request == atom("crash")) {
                throw new IllegalArgumentException("crash requested");
            }
            if (request == atom("stop")) {
                return Reply.stop(Hotcode.NORMAL, "bye", s);
            }
            if (request instanceof Tuple t && t.get(0) == atom("sleep")) {
                Hotcode.sleep((Integer) t.get(1));
                return Reply.reply("slept", s);
            }
            if (request instanceof Tuple t && t.get(0) == atom("later")) {
                From f = from;
                Hotcode.spawn(() -> {
                    Hotcode.sleep(20);
                    GenServer.reply(f, t.get(1));
                    return null;
                });
                return Reply.noReply(s);
            }
            if (request instanceof Tuple t && t.get(0) == atom("add")) {
                State next = new State(s.n() + (Integer) t.get(1), s.log(), s.upgrade());
                return Reply.reply(next.n(), next);
            }
            return Reply.reply(Tuple.of(atom("error"), request), s);
        }

        @Override
        public State handleCast(Object message, State s) throws Exception {
            if (message == atom("incr")) {
                return new State(s.n() + 1, s.log(), s.upgrade());
            }
            if (message instanceof String text) {
                List<String> log = new ArrayList<>(s.log());
                log.add(text);
                return new State(s.n(), List.copyOf(log), s.upgrade());
            }
            return Server.super.handleCast(message, s);
        }

        @Override
        public State handleInfo(Object message, State s) throws Exception {
            if (message instanceof Tuple t && t.get(0) == atom("note")) {
                return handleCast(t.get(1), s);
            }
            return Server.super.handleInfo(message, s);
        }

        @Override
        public void terminate(Object reason, State s) {
            BlockingQueue<Object> q = events;
            if (q != null) {
                q.add(Tuple.of(atom("terminate"), reason, s.n()));
            }
        }

        @Override
        public Object codeChange(String oldVersion, Object oldState, Object extra) throws Exception {
            String mode = (String) Records.fields(oldState).get("upgrade");
            switch (mode) {
                case "throw" -> throw new IllegalStateException("codeChange refused the state " + oldState);
                case "error" -> throw new StackOverflowError("simulated");
                case "null" -> {
                    return null;
                }
                case "stale" -> {
                    return oldState; // the old version's record: the runtime must refuse it
                }
                case "slow" -> Thread.sleep(60_000);
                default -> {
                }
            }
            State s = Records.convert(oldState, State.class);
            List<String> log = new ArrayList<>(s.log());
            log.add("upgraded from " + oldVersion);
            return new State(s.n(), List.copyOf(log), s.upgrade());
        }
    }

    /** A server that keeps the default callbacks: every cast and info is unexpected. */
    public static final class Minimal implements Server<Integer> {
        @Override
        public Integer init(Object arg) {
            return 7;
        }

        @Override
        public Reply<Integer> handleCall(Object request, From from, Integer s) {
            return Reply.reply(s, s);
        }
    }

    /** Not a server: it lacks the behaviour's callbacks. */
    public static final class NotAServer {
    }

    /** A server without a public no-argument constructor. */
    public static final class NoConstructor implements Server<Integer> {
        public NoConstructor(int x) {
        }

        @Override
        public Integer init(Object arg) {
            return 0;
        }

        @Override
        public Reply<Integer> handleCall(Object request, From from, Integer s) {
            return Reply.reply(s, s);
        }
    }

    /** A worker for supervisors: registers nothing itself; replies {pong, self()} to {ping, From}; exits on crash. */
    public static Next worker(String tag) {
        Object m = Hotcode.receive();
        if (m instanceof Tuple t && t.get(0) == atom("ping")) {
            Hotcode.send((hotcode.runtime.api.Pid) t.get(1), Tuple.of(atom("pong"), tag, Hotcode.self()));
        } else if (m == atom("crash")) {
            throw new IllegalStateException("worker " + tag + " crashed on request");
        }
        return Next.call("srv", "worker", tag);
    }

    /**
     * A plain process that waits selectively for {go, To}: other messages stay in its mailbox; on go it forwards them,
     * in order, to To. It re-enters through a qualified call, so a migrate purge can move it while it waits.
     */
    public static Next selective(String tag) {
        Tuple go = (Tuple) Hotcode.receive(Tuple.of(atom("go"), Hotcode.ANY));
        hotcode.runtime.api.Pid to = (hotcode.runtime.api.Pid) go.get(1);
        Object m;
        while ((m = Hotcode.receive(java.time.Duration.ZERO)) != null) {
            Hotcode.send(to, Tuple.of(tag, m, Hotcode.codeServer().which("srv").orElseThrow().current().orElseThrow().version()));
        }
        Hotcode.send(to, Tuple.of(tag, atom("done"), "-"));
        return Next.call("srv", "selective", tag);
    }

    /** Sleeps inside this version for {@code ms}: old code mid-execution. */
    public static Next sleeper(Integer ms) {
        Hotcode.sleep(ms);
        return null;
    }

    /** Sends a message, then waits: it has done something since its step began, so it cannot be moved. */
    public static Next sender(hotcode.runtime.api.Pid to) {
        Hotcode.send(to, atom("hello"));
        Hotcode.receive(atom("never"));
        return null;
    }

    /** Waits 10 ms at a time, counting the timeouts with local tail calls: it cannot be re-run from its start. */
    public static Next ticker(Integer n) {
        Object m = Hotcode.receive(java.time.Duration.ofMillis(10), atom("stop"));
        if (m != null) {
            return null;
        }
        return () -> ticker(n + 1);
    }
}
