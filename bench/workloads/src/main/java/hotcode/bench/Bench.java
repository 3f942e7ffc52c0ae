package hotcode.bench;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;

import java.time.Duration;

import static hotcode.runtime.api.Hotcode.ANY;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * Module {@code bench}: the process bodies of the workloads, transcribed from the Erlang peer
 * (/work/shared/peers/erlang/bench.escript). Long-lived loops are trampolined ({@code return () -> loop(..)}), the
 * runtime's idiom for an Erlang tail-recursive receive loop.
 */
public final class Bench {
    static final Atom PING = atom("ping");
    static final Atom PONG = atom("pong");
    static final Atom STOP = atom("stop");
    static final Atom GO = atom("go");
    static final Atom DONE = atom("done");
    static final Atom NEXT = atom("next");
    static final Atom TOKEN = atom("token");
    static final Atom RING_DONE = atom("ring_done");
    static final Atom JUNK = atom("junk");
    static final Atom MSG = atom("msg");
    static final Atom ACK = atom("ack");
    static final Atom GET = atom("get");
    static final Atom SENT = atom("sent");
    static final Atom SERVER_STATE = atom("server_state");

    static final Tuple PING_PAT = tuple(PING, Pid.class);
    static final Tuple NEXT_PAT = tuple(NEXT, Pid.class);
    static final Tuple TOKEN_PAT = tuple(TOKEN, Integer.class);
    static final Tuple ACK_PAT = tuple(ACK, Long.class);
    static final Tuple GO_PAT = tuple(GO, Pid.class);
    static final Tuple STATE_PAT = tuple(SERVER_STATE, ANY, ANY, ANY, ANY);
    /** The stream sender's flow-control window (un-acknowledged messages), as in the Erlang peer. */
    static final long WINDOW = 10_000;

    private Bench() {
    }

    // ------------------------------------------------------------------ (i) ping-pong

    /** {@code pong() -> receive {ping, From} -> From ! pong, pong(); stop -> ok end.} */
    public static Next pong() {
        Object m = receive(PING_PAT, STOP);
        if (m == STOP) {
            return Next.done();
        }
        send(((Tuple) m).get(1, Pid.class), PONG);
        return Bench::pong;
    }

    // ------------------------------------------------------------------ (ii) one-way

    /** {@code recv_loop(N, Parent)}: takes N messages of any kind, then tells Parent. */
    public static Next recvLoop(long n, Pid parent) {
        if (n == 0) {
            send(parent, tuple(DONE, self()));
            return Next.done();
        }
        receive();
        return () -> recvLoop(n - 1, parent);
    }

    /** {@code send_loop(P, N)}: N messages (the integers N..1) to P, as fast as it goes. */
    public static void sendLoop(Pid p, int n) {
        for (int i = n; i > 0; i--) {
            send(p, i);
        }
    }

    // ------------------------------------------------------------------ (iii) spawn

    /** {@code waiter() -> receive stop -> ok end.} */
    public static Next waiter() {
        receive(STOP);
        return Next.done();
    }

    // ------------------------------------------------------------------ (iv) ring

    public static Next ringInit(Pid parent) {
        Tuple t = (Tuple) receive(NEXT_PAT);
        Pid next = t.get(1, Pid.class);
        return () -> ringNode(next, parent);
    }

    public static Next ringNode(Pid next, Pid parent) {
        Object m = receive(TOKEN_PAT, STOP);
        if (m == STOP) {
            send(next, STOP);
            return Next.done();
        }
        int k = (Integer) ((Tuple) m).get(1);
        if (k == 0) {
            send(parent, RING_DONE);
        } else {
            send(next, tuple(TOKEN, k - 1));
        }
        return () -> ringNode(next, parent);
    }

    // ------------------------------------------------------------------ (v) the upgrade stream's sender

    public static Next senderInit(Pid main) {
        Tuple t = (Tuple) receive(GO_PAT);
        Pid server = t.get(1, Pid.class);
        return () -> sender(server, 1, 0, main);
    }

    /**
     * Sends {msg, 1}, {msg, 2}, ... in bursts of 1000 with at most {@link #WINDOW} un-acknowledged (the server acks
     * every 1000th). Unlike the Erlang peer, which leaves acks queued until the window is full, it takes the acks
     * that arrived after each burst, so its mailbox stays short.
     */
    public static Next sender(Pid server, long i, long acked, Pid main) {
        if (i - 1 - acked >= WINDOW) {
            Object m = receive(ACK_PAT, STOP);
            if (m == STOP) {
                return finish(server, i, main);
            }
            long a = (Long) ((Tuple) m).get(1);
            return () -> sender(server, i, Math.max(a, acked), main);
        }
        long next = i;
        for (int k = 0; k < 1000; k++) {
            send(server, tuple(MSG, next++));
        }
        long ack = acked;
        Object m;
        while ((m = receive(Duration.ZERO, ACK_PAT, STOP)) != null) {
            if (m == STOP) {
                return finish(server, next, main);
            }
            ack = Math.max(ack, (Long) ((Tuple) m).get(1));
        }
        long n = next;
        long a = ack;
        return () -> sender(server, n, a, main);
    }

    private static Next finish(Pid server, long next, Pid main) {
        send(server, tuple(GET, self()));
        Object st = receive(STATE_PAT);
        send(main, tuple(SENT, next - 1));
        send(main, st);
        return Next.done();
    }

    // ------------------------------------------------------------------ qualified vs local calls

    /** The callee of the call-cost microbenchmark. */
    public static long inc(long x) {
        return x + 1;
    }

    /** A process step that loops n times through local tail calls. */
    public static Next localSteps(long n, Pid parent) {
        if (n == 0) {
            send(parent, DONE);
            return Next.done();
        }
        return () -> localSteps(n - 1, parent);
    }

    /** A process step that loops n times through qualified tail calls ({@code ?MODULE:qualifiedSteps}). */
    public static Next qualifiedSteps(long n, Pid parent) {
        if (n == 0) {
            send(parent, DONE);
            return Next.done();
        }
        return Next.call("bench", "qualifiedSteps", n - 1, parent);
    }
}
