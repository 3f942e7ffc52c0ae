package hotcode.bench.dsu;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

import static hotcode.runtime.api.Hotcode.ANY;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The upgradable benchmark module {@code benchdsu}, a transcription of the Erlang peer's {@code dsu_mod}
 * (/work/shared/peers/erlang/bench.escript). module.v1 and module.v2 build this same source into two revisions of the
 * bundle {@code hotcode.bench.dsu}; {@link #VSN} is the major part of the Bundle-Version, so each revision answers
 * with its own number.
 *
 * <p>All state that crosses versions (the server's loop arguments) is JDK types, the runtime's terms, or plain
 * arrays, so the router's crossing check lets it through.
 */
public final class Dsu {
    public static final String MODULE = "benchdsu";
    public static final int VSN = vsnFromBundle();

    static final Atom MSG = atom("msg");
    static final Atom GET = atom("get");
    static final Atom ACK = atom("ack");
    static final Atom PING = atom("ping");
    static final Atom PONG = atom("pong");
    static final Atom STOP = atom("stop");
    static final Atom SERVER_STATE = atom("server_state");
    static final Tuple PING_PAT = tuple(PING, Pid.class);
    static final Tuple ANY2 = tuple(ANY, ANY);

    // layout of the recorder (Object[] rec) the server threads through its loop
    public static final int REC_META = 0, REC_RING = 1, REC_WINDOWS = 2, REC_BUCKETS = 3, REC_BUCKET_MAX = 4;
    // meta: [0] t0 ns, [1] switches recorded, [2] pending switch message index (-1 none), [3] pending slot;
    // switch k at META_SWITCHES + 4k: message index, new vsn, gap ns, time ns
    public static final int META_SWITCHES = 8;
    public static final int RING = 8192;
    public static final int HALF_WINDOW = 2000;
    public static final int WINDOW = 2 * HALF_WINDOW + 1;
    public static final int MAX_SWITCHES = 64;

    private Dsu() {
    }

    private static int vsnFromBundle() {
        Bundle b = FrameworkUtil.getBundle(Dsu.class);
        return b == null ? 0 : b.getVersion().getMajor();
    }

    public static int vsn() {
        return VSN;
    }

    // ------------------------------------------------------------------ workers

    /** {@code worker() -> receive {ping, From} -> ?MODULE:pong(From); stop -> ok end.} */
    public static Next worker() {
        Object m = receive(PING_PAT, STOP);
        if (m == STOP) {
            return Next.done();
        }
        return Next.call(MODULE, "pong", ((Tuple) m).get(1));
    }

    /** {@code pong(From) -> From ! {pong, vsn()}, worker().} */
    public static Next pong(Pid from) {
        send(from, tuple(PONG, VSN));
        return Dsu::worker;
    }

    // ------------------------------------------------------------------ the stream server

    /** An empty recorder for a run of at most {@code seconds} (1 ms timeline buckets). */
    public static Object[] newRecorder(int seconds) {
        long[] meta = new long[META_SWITCHES + 4 * MAX_SWITCHES];
        meta[0] = System.nanoTime();
        meta[2] = -1;
        return new Object[] {meta, new long[RING], new long[MAX_SWITCHES * WINDOW], new long[seconds * 1000],
            new long[seconds * 1000]};
    }

    /**
     * {@code server(Count, Next, Gaps, LastV, LastT, MaxGap)}: every message re-enters through a qualified tail call,
     * so the first message after a load runs the new version.
     */
    public static Next server(long count, long next, long gaps, int lastV, long lastT, long maxGap, Object[] rec,
                              Pid sender) {
        Tuple t = (Tuple) receive(ANY2);
        if (t.get(0) == MSG) {
            long i = (Long) t.get(1);
            long now = System.nanoTime();
            long gap = lastT == 0 ? 0 : now - lastT;
            long g1 = i == next ? gaps : gaps + 1;
            if (i % 1000 == 0) {
                send(sender, tuple(ACK, i));
            }
            record(rec, i, VSN, lastV, gap, now);
            return Next.call(MODULE, "server", count + 1, i + 1, g1, VSN, now, Math.max(gap, maxGap), rec, sender);
        }
        if (t.get(0) == GET) {
            send((Pid) t.get(1), tuple(SERVER_STATE, count, gaps, VSN, maxGap));
        }
        return Next.call(MODULE, "server", count, next, gaps, lastV, lastT, maxGap, rec, sender);
    }

    static void record(Object[] rec, long i, int v, int lastV, long gap, long now) {
        long[] meta = (long[]) rec[REC_META];
        long[] ring = (long[]) rec[REC_RING];
        ring[(int) (i & (RING - 1))] = gap;
        long[] buckets = (long[]) rec[REC_BUCKETS];
        long[] bucketMax = (long[]) rec[REC_BUCKET_MAX];
        int b = (int) ((now - meta[0]) / 1_000_000L);
        if (b >= 0 && b < buckets.length) {
            buckets[b]++;
            if (gap > bucketMax[b]) {
                bucketMax[b] = gap;
            }
        }
        if (v != lastV && lastV != 0 && meta[1] < MAX_SWITCHES && meta[2] < 0) {
            int k = (int) meta[1];
            int o = META_SWITCHES + 4 * k;
            meta[o] = i;
            meta[o + 1] = v;
            meta[o + 2] = gap;
            meta[o + 3] = now;
            meta[2] = i;
            meta[3] = k;
        }
        if (meta[2] >= 0 && i == meta[2] + HALF_WINDOW) {
            // copy the gaps of messages switch-HALF_WINDOW .. switch+HALF_WINDOW out of the ring
            long[] windows = (long[]) rec[REC_WINDOWS];
            int k = (int) meta[3];
            long first = meta[2] - HALF_WINDOW;
            for (int j = 0; j < WINDOW; j++) {
                windows[k * WINDOW + j] = ring[(int) ((first + j) & (RING - 1))];
            }
            meta[1] = k + 1;
            meta[2] = -1;
        }
    }
}
