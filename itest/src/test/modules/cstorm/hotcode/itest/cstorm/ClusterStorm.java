package hotcode.itest.cstorm;

import hotcode.itest.vsn.CodeVersion;
import hotcode.runtime.api.Atom;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Global;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test module "cstorm" (hotcode.itest.ClusterStormIT): one node's part of the distributed storm, in a Felix JVM of
 * its own (hotcode.itest.FelixNode calls its functions through {@code Hotcode.call}). One source set for every
 * version: a version tells itself apart by its jar's Bundle-Version ({@link CodeVersion}).
 *
 * <p>Receivers and senders re-enter the current version at every message or round ({@code Next.call}), so an update
 * moves them to the new code and the refresh that follows purges nothing they run. What they count lives in a
 * board of JDK types kept in the system properties: it outlives every version of this module (each version has a
 * class loader of its own, and its statics with it) but not the JVM, as a receiver's record would.
 */
public final class ClusterStorm {
    private static final Atom STOP = Atom.of("stop");
    private static final String VSN = CodeVersion.of(ClusterStorm.class);
    private static final String BOARD = "hotcode.itest.cstorm.board";

    private ClusterStorm() {
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> board() {
        synchronized (System.getProperties()) {
            Object b = System.getProperties().get(BOARD);
            if (b == null) {
                b = new ConcurrentHashMap<String, Object>();
                System.getProperties().put(BOARD, b);
            }
            return (Map<String, Object>) b;
        }
    }

    private static AtomicLong counter(String key) {
        return (AtomicLong) board().computeIfAbsent(key, k -> new AtomicLong());
    }

    /**
     * Starts {@code receivers} receivers registered globally as {@code recv-<node>-<i>}, and the {@link Guard}
     * (registered here as {@code cstorm_guard}); answers the receivers' names.
     */
    public static List<String> start(String node, Integer receivers) throws Exception {
        Hotcode.subscribeDeadLetters(ClusterStorm::deadLetter);
        Hotcode.register("cstorm_guard", GenServer.start(Class.forName("hotcode.itest.cstorm.Guard", false,
                ClusterStorm.class.getClassLoader()), null));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < receivers; i++) {
            String name = "recv-" + node + "-" + i;
            Pid r = Hotcode.spawn(() -> Next.call("cstorm", "receiver", name));
            long deadline = System.currentTimeMillis() + 30_000;
            while (!Global.register(name, r)) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(name + " stays taken");
                }
                Thread.sleep(50); // taken by this node's previous incarnation until the cluster sees it gone
            }
            names.add(name);
        }
        return names;
    }

    /** Takes one message {@code {Sender, Target, Seq}} into the record, then re-enters the current version. */
    public static Next receiver(String name) {
        Object m = Hotcode.receive();
        if (m instanceof Tuple t && t.size() == 3 && t.get(2) instanceof Long seq) {
            String pair = t.get(0) + ">" + name;
            long[] r = (long[]) board().computeIfAbsent("recv|" + pair, k -> new long[4]);
            BitSet got = (BitSet) board().computeIfAbsent("seqs|" + pair, k -> new BitSet());
            synchronized (r) {
                if (seq <= r[1]) {
                    r[2]++; // twice, or out of order
                } else {
                    r[3] += seq - r[1] - 1; // skipped: must be a dead letter or in doubt at the sender
                    r[1] = seq;
                }
                r[0]++;
                got.set((int) (long) seq);
            }
            counter("vsn|" + name + "|" + VSN).incrementAndGet();
        }
        return Next.call("cstorm", "receiver", name);
    }

    /** Starts {@code n} senders {@code <node>-s<i>} to every target; even targets by pid, odd ones by name. */
    public static String go(String node, Integer n, List<String> targets) {
        List<Pid> pids = new ArrayList<>();
        for (int j = 0; j < targets.size(); j++) {
            pids.add(j % 2 == 0 ? Global.whereis(targets.get(j)) : null);
        }
        List<Pid> senders = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String me = node + "-s" + i;
            senders.add(Hotcode.spawn(() -> Next.call("cstorm", "sender", me, targets, pids)));
        }
        board().put("senders", senders);
        return "going";
    }

    /**
     * One round: {@code {Me, Target, Seq}} to every target (a pid looked up once, or the name looked up at each send,
     * as {@code global:send}; while a name is gone nothing is sent to it and nothing counted), then re-enters.
     */
    public static Next sender(String me, List<String> targets, List<Pid> pids) {
        if (Hotcode.receive(Duration.ZERO, STOP) != null) {
            counter("stopped|" + me).incrementAndGet();
            return Next.done();
        }
        for (int j = 0; j < targets.size(); j++) {
            String target = targets.get(j);
            Pid to = pids.get(j) != null ? pids.get(j) : Global.whereis(target);
            if (to != null) {
                long seq = counter("sent|" + me + ">" + target).incrementAndGet();
                Hotcode.send(to, Tuple.of(me, target, seq));
            }
        }
        counter("svsn|" + me + "|" + VSN).incrementAndGet();
        Hotcode.sleep(2); // a storm the 2 cores of a CI machine carry beside three Felix JVMs
        return Next.call("cstorm", "sender", me, targets, pids);
    }

    /** How many of {@code names} this node knows as global names. */
    public static Integer known(List<String> names) {
        int n = 0;
        for (String name : names) {
            if (Global.whereis(name) != null) {
                n++;
            }
        }
        return n;
    }

    /** The other nodes this one sees, sorted. */
    public static List<String> members() {
        return Hotcode.nodes().stream().sorted().toList();
    }

    /** Tells the senders to stop; answers how many were told. */
    @SuppressWarnings("unchecked")
    public static Integer stop() {
        List<Pid> senders = (List<Pid>) board().getOrDefault("senders", List.of());
        for (Pid s : senders) {
            Hotcode.send(s, STOP);
        }
        return senders.size();
    }

    private static void deadLetter(DeadLetter d) {
        if (d.message() instanceof Tuple t && t.size() == 3 && t.get(2) instanceof Long seq) {
            String key = t.get(0) + ">" + t.get(1);
            counter("dead|" + key + "|" + d.reason()).incrementAndGet();
            BitSet dead = (BitSet) board().computeIfAbsent("deadseqs|" + key, k -> new BitSet());
            synchronized (dead) {
                dead.set((int) (long) seq);
            }
        }
    }

    /**
     * The board as lines {@code key=value}: {@code sent|S>T=n}, {@code recv|S>R=count,last,violations,gaps},
     * {@code dead|S>T|reason=n}, {@code vsn|R|version=n} (messages R took running that version),
     * {@code svsn|S|version=n} (rounds S sent running it), {@code stopped|S=1}.
     */
    public static List<String> report() {
        Map<String, String> out = new TreeMap<>();
        board().forEach((k, v) -> {
            if (v instanceof AtomicLong a) {
                out.put(k, String.valueOf(a.get()));
            } else if (v instanceof long[] r) {
                synchronized (r) {
                    out.put(k, r[0] + "," + r[1] + "," + r[2] + "," + r[3]);
                }
            }
        });
        List<String> lines = new ArrayList<>();
        out.forEach((k, v) -> lines.add(k + "=" + v));
        return lines;
    }

    /**
     * Starts {@code n} {@link Cell} servers (ids 1..n) for the coordinated-load benchmark, kept on the board; answers
     * how many run.
     */
    @SuppressWarnings("unchecked")
    public static Integer cells(Integer n) throws Exception {
        Class<?> cell = Class.forName("hotcode.itest.cstorm.Cell", false, ClusterStorm.class.getClassLoader());
        List<Pid> cells = (List<Pid>) board().computeIfAbsent("cells",
                k -> new java.util.concurrent.CopyOnWriteArrayList<Pid>());
        List<Pid> started = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            started.add(GenServer.start(cell, cells.size() + i));
        }
        cells.addAll(started);
        return cells.size();
    }

    /** Calls every cell and answers {@code version=count} of the versions their states came through, sorted. */
    @SuppressWarnings("unchecked")
    public static String cellVersions() {
        Map<String, Integer> count = new TreeMap<>();
        for (Pid p : (List<Pid>) board().getOrDefault("cells", List.of())) {
            count.merge(String.valueOf(GenServer.call(p, "version")), 1, Integer::sum);
        }
        return count.toString().replace(" ", "");
    }

    /** The version the guard runs. */
    public static String guard() {
        return (String) GenServer.call(Hotcode.whereis("cstorm_guard"), "version");
    }

    /** {@link #received} of each of {@code pairs}, as lines {@code pair=bits}: read at one moment, for a kill. */
    public static List<String> receivedOf(List<String> pairs) {
        List<String> out = new ArrayList<>();
        for (String p : pairs) {
            out.add(p + "=" + received(p));
        }
        return out;
    }

    /** The received sequence numbers of {@code pair} here, as a BitSet's string (for the in-doubt check). */
    public static String received(String pair) {
        BitSet got = (BitSet) board().get("seqs|" + pair);
        if (got == null) {
            return "{}";
        }
        synchronized (board().get("recv|" + pair)) {
            return got.toString();
        }
    }

    /** The dead-lettered sequence numbers of {@code pair} at the sender here. */
    public static String deadSeqs(String pair) {
        BitSet dead = (BitSet) board().get("deadseqs|" + pair);
        if (dead == null) {
            return "{}";
        }
        synchronized (dead) {
            return dead.toString();
        }
    }
}
