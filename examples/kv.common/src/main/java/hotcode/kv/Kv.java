package hotcode.kv;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Description;
import hotcode.runtime.api.Module;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeMode;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.Supervisor.Child;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.Tuple;

import java.time.Duration;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The kv module: its functions, the console commands of its header, and the audit worker. One source for every
 * version: each kv bundle (examples/kv.bundle, kv.v2.bundle, kv.v2.broken.bundle, kv.v3.bundle) compiles this file
 * beside its own {@link KvServer}, which is what changes between versions (its state, its requests, its
 * {@code codeChange}) and which names the version ({@code KvServer.VSN}).
 *
 * <p>{@code kv:start} starts a supervisor {@code kv_sup} (one for one) with two children: the key-value server
 * {@link KvServer}, registered as {@code kv}, and the audit worker, a plain process registered as {@code kv_audit}
 * that counts the writes the server reports. The other commands talk to the server by its name.
 *
 * <p>{@link Module} makes bnd write each kv bundle's {@code Hotcode-Module} header (and its requirement on the
 * runtime) from this one source, so every version lists the same commands; 1.0.0's server answers {@code kv:stats}
 * with {@code {error, {unknown_request, stats}}}.
 */
@Module(name = "kv", commands = {"start", "put", "get", "del", "keys", "stats", "state", "children", "migrate", "vsn"})
public final class Kv {
    static final String MODULE = "kv";
    static final String VSN = KvServer.VSN;
    /** Registered names. */
    static final String SUPERVISOR = "kv_sup";
    static final String SERVER = "kv";
    static final String AUDIT = "kv_audit";

    /** The server's {@code stats} request (answered from 2.0.0 on; 1.0.0's server does not know it). */
    static final Atom STATS = atom("stats");

    static final Atom REPORT = atom("report");
    static final Atom PING = atom("ping");
    static final Atom PONG = atom("pong");
    static final Atom PAUSE = atom("pause");
    static final Atom PAUSED = atom("paused");
    static final Atom RESUME = atom("resume");
    static final Atom SLEEP = atom("sleep");
    static final Atom SLEEPING = atom("sleeping");
    static final Atom SLEPT = atom("slept");

    private Kv() {
    }

    // ------------------------------------------------------------------ console commands

    /** {@code kv:start}: the supervisor and its two children; answers with the children. */
    @Description("starts kv's supervisor, its server and audit worker; answers with the children")
    public static String start() {
        Supervisor.start(SUPERVISOR, Supervisor.Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("server", SERVER, KvServer.class, null),
                Child.worker("audit", AUDIT, MODULE, "audit", 0L));
        return children();
    }

    /** {@code kv:put Key Value} → {@code {ok, Previous}}. */
    @Description("stores value under key; answers {ok, Previous}")
    public static Object put(@Description("the key") String key, @Description("the value") String value) {
        return GenServer.call(SERVER, tuple(KvServer.PUT, key, value));
    }

    /** {@code kv:get Key} → the value or {@code none}. */
    @Description("the value under key, or none")
    public static Object get(String key) {
        return GenServer.call(SERVER, tuple(KvServer.GET, key));
    }

    /** {@code kv:del Key} → {@code {ok, Previous}}. */
    @Description("deletes key; answers {ok, Previous}")
    public static Object del(String key) {
        return GenServer.call(SERVER, tuple(KvServer.DEL, key));
    }

    /**
     * {@code kv:stats} → the server's counters, {@code {stats, Keys, Writes, ...}} as its version's {@link KvServer}
     * counts them. New in 2.0.0: 1.0.0's header does not list the command, and its server answers
     * {@code {error, {unknown_request, stats}}}.
     */
    @Description("the server's counters (new in 2.0.0)")
    public static Object stats() {
        return GenServer.call(SERVER, STATS);
    }

    /** {@code kv:keys} → the keys, sorted. */
    @Description("the keys, sorted")
    public static Object keys() {
        return GenServer.call(SERVER, KvServer.KEYS);
    }

    /** {@code kv:state}: the server's state as its version holds it ({@link Sys#getState}), and who answers. */
    @Description("the server's state as its version holds it, and which version answers")
    public static String state() {
        return Sys.getState(SERVER) + "   (server " + Hotcode.whereis(SERVER) + " runs kv "
                + GenServer.call(SERVER, KvServer.VSN_REQUEST) + ")";
    }

    /**
     * {@code kv:children}: the supervisor and its children, by registered name. (A supervisor's children are also
     * listed by {@code Supervisor.whichChildren}, with restart counts; this runtime's supervisor does not answer that
     * call yet, so the example reads the names.)
     */
    @Description("the supervisor and its children, by registered name")
    public static String children() {
        StringBuilder sb = new StringBuilder();
        for (String name : new String[] {SUPERVISOR, SERVER, AUDIT}) {
            Pid pid = Hotcode.whereis(name);
            sb.append(String.format("%-9s %s%n", name, pid == null ? "-" : pid));
        }
        return sb.toString().stripTrailing();
    }

    /**
     * {@code kv:migrate}: purges kv's old code in {@link PurgeMode#MIGRATE migrate} mode: processes parked at the start
     * of a qualified step move to the current version (same pid, same mailbox); the others running old code are killed.
     */
    @Description("purges kv's old code in migrate mode: parked processes move to the current version")
    public static String migrate() {
        PurgeResult r = Hotcode.codeServer().purge(MODULE, PurgeMode.MIGRATE);
        if (!r.purged()) {
            return "kv has no old code: nothing to purge";
        }
        return "purged kv's old code: moved " + r.migrated() + " to the current version, killed " + r.killed();
    }

    /** {@code kv:vsn}: the version of the module that runs this command (always the current one). */
    @Description("the version of the module that runs this command")
    public static String vsn() {
        return VSN;
    }

    // ------------------------------------------------------------------ the audit worker (a plain process)

    /**
     * The audit worker's loop, Erlang style: each message is handled, then the loop re-enters itself through a
     * qualified call ({@code ?MODULE:audit(Writes)}), so it moves to the current version at its next message.
     * <ul>
     * <li>{@code {wrote, Key}} (from the server): one more write</li>
     * <li>{@code report} (e.g. {@code hotcode:send kv_audit report}): prints the count</li>
     * <li>{@code {report, From}} → {@code {report, Vsn, Self, Writes}}</li>
     * <li>{@code {ping, N, From}} → {@code {pong, N, Vsn, Self}}</li>
     * <li>{@code pause} or {@code {pause, From}} (→ {@code {paused, Vsn, Self}}): waits for {@code resume}; every
     *     other message waits in the mailbox meanwhile</li>
     * <li>{@code {sleep, Ms, From}} → {@code {sleeping, Vsn, Self}}, sleeps Ms in this version's code, then
     *     {@code {slept, Vsn, Self}} (a long job)</li>
     * </ul>
     */
    public static Next audit(long writes) {
        Object m = receive();
        if (m instanceof Tuple t) {
            if (t.isTagged(KvServer.WROTE, 2)) {
                return Next.call(MODULE, "audit", writes + 1);
            }
            if (t.isTagged(REPORT, 2)) {
                send(t.get(1, Pid.class), tuple(REPORT, VSN, self(), writes));
            } else if (t.isTagged(PING, 3)) {
                send(t.get(2, Pid.class), tuple(PONG, t.get(1), VSN, self()));
            } else if (t.isTagged(PAUSE, 2)) {
                send(t.get(1, Pid.class), tuple(PAUSED, VSN, self()));
                return Next.call(MODULE, "paused", writes);
            } else if (t.isTagged(SLEEP, 3)) {
                Pid from = t.get(2, Pid.class);
                send(from, tuple(SLEEPING, VSN, self()));
                sleep(((Number) t.get(1)).longValue());
                send(from, tuple(SLEPT, VSN, self()));
            } else {
                say("ignored " + m);
            }
        } else if (m == REPORT) {
            say(writes + " writes seen");
        } else if (m == PAUSE) {
            say("paused; messages wait in the mailbox until resume");
            return Next.call(MODULE, "paused", writes);
        } else {
            say("ignored " + m);
        }
        return Next.call(MODULE, "audit", writes);
    }

    /**
     * The paused worker: a step entered by a qualified call that waits for {@code resume} only. Parked here, it can
     * be moved to a new version by a migrate purge: the step re-runs on the new version, its mailbox untouched.
     */
    public static Next paused(long writes) {
        receive(RESUME);
        say("resumed");
        return Next.call(MODULE, "audit", writes);
    }

    private static void say(String what) {
        System.out.println(AUDIT + " " + VSN + " " + self() + ": " + what);
    }
}
