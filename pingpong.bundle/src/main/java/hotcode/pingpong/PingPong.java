package hotcode.pingpong;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Description;
import hotcode.runtime.api.Module;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;
import static hotcode.runtime.api.Hotcode.spawn;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The seed's pingpong.erl, version 1. A client sends N pings to a server and waits for each pong; before the 5th
 * ping from the end it sends {@code upgrade}, and the server re-enters itself through a qualified call
 * ({@code ?MODULE:server()}), picking up whatever version is current by then.
 */
@Module(name = "pingpong", commands = "start") // bnd writes the Hotcode-Module header and the extender requirement
public final class PingPong {
    static final String MODULE = "pingpong";
    static final Atom PING = atom("ping");
    static final Atom PONG = atom("pong");
    static final Atom UPGRADE = atom("upgrade");
    /** The seed sleeps 1 s in the client before each ping and in the server before each pong. */
    static final long DEFAULT_INTERVAL_MS = 1000;

    private PingPong() {
    }

    // ------------------------------------------------------------------ API

    /** {@code pingpong:start(N)}: spawns a server and a client that pings it N times; returns the client's pid. */
    @Description("spawns a server and a client that pings it n times, a second apart; returns the client's pid")
    public static Pid start(@Description("how many pings") int n) {
        return start(n, DEFAULT_INTERVAL_MS);
    }

    /** {@code pingpong:start(N, IntervalMs)}: as {@link #start(int)}, with the seed's 1 s sleeps set to intervalMs. */
    public static Pid start(int n, long intervalMs) {
        Pid server = spawn(MODULE, "server", intervalMs);
        return spawn(MODULE, "client", server, n, 0, intervalMs);
    }

    /** The version of this module, for tests and the curious: {@code pingpong:vsn()}. */
    public static String vsn() {
        return "1";
    }

    // ------------------------------------------------------------------ processes

    public static Next server(long intervalMs) {
        Object msg = receive(UPGRADE, tuple(PING, Pid.class));
        if (msg == UPGRADE) {
            return Next.call(MODULE, "server", intervalMs); // ?MODULE:server(): enter the current version
        }
        Pid client = ((Tuple) msg).get(1, Pid.class);
        sleep(intervalMs);
        send(client, PONG);
        return () -> server(intervalMs); // server(): a local call stays in this version
    }

    public static Next client(Pid server, int n, int pongs, long intervalMs) {
        if (n == 0) {
            System.out.println("DONE!");
            System.out.println("Received " + pongs + " PONGS!");
            return Next.done();
        }
        if (n == 5) {
            System.out.println("Sending an upgrade message!");
            send(server, UPGRADE);
        } else {
            sleep(intervalMs);
        }
        send(server, tuple(PING, self()));
        System.out.println("Sent          a PING!");
        receive(PONG);
        System.out.println("Received a PONG!");
        return () -> client(server, n - 1, pongs + 1, intervalMs);
    }
}
