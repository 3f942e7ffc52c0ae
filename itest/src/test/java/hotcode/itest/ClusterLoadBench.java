package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;

/**
 * Benchmark of issue 15's third target, "time for a coordinated load on 3 nodes with 3,000 servers each, at most 2x a
 * single node's upgrade time", on real Felix: the three Felix JVMs of {@link ClusterStormIT} ({@link FelixNode}:
 * runtime, cluster bundle, test module {@code cstorm}) join a cluster over TCP on 127.0.0.1, and each starts 3,000
 * {@code cstorm} Cell servers whose codeChange migrates their state. Then, in one run, rounds of
 * <ol>
 * <li><b>single</b>: {@code Bundle.update} of cstorm on node a alone to the next version (a plain local upgrade of its
 * 3,000 servers; b and c idle), wall time of the update command as the node's driver sees it;</li>
 * <li><b>3 at once</b>: the same update on a, b and c at the same moment, each from a driver thread of its own, no
 * barrier and no cluster protocol (the reference that tells the coordination's cost from three nodes' work on one
 * host), wall time until the last returns;</li>
 * <li><b>cluster</b>: {@code hotcode:cluster load cstorm <url>} from node a to the next version: every node prepares
 * (its 3,000 servers suspended and migrated), the barrier, commit everywhere; wall time until the command returns
 * (after every node reported its outcome).</li>
 * </ol>
 * Each timed operation is followed, untimed, by a check that every cell on the nodes concerned answers the new version
 * and by a refresh of the bundle (the old revision purged), so no operation times a purge, and by an untimed pause
 * ({@link #settle}) so that the refresh's last work (the anchor's uninstall) is over too. One warm-up round first;
 * medians of the timed rounds, printed as {@code RESULT} lines, with the host's load average before and after (the
 * host is shared: read the figures with it) and each node's CPU time per operation. The Erlang side of the same
 * workload: {@code bench/erlang/cluster_load.escript}.
 *
 * <p>Not an {@code *IT}: failsafe does not run it in {@code ./hotcode test}. Run it alone (after {@code ./hotcode
 * build}): {@code ./hotcode test -pl itest -am -Dit.test=ClusterLoadBench -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false} (rounds: {@code -Dbench.clusterload.rounds=5}, servers per node:
 * {@code -Dbench.clusterload.servers=3000}, the pause: {@code -Dbench.clusterload.settleMillis=200}).
 */
public class ClusterLoadBench {
    private static final List<String> NODES = List.of("a", "b", "c");
    private static final long WAIT_MS = 180_000;
    private static final int SERVERS = Integer.getInteger("bench.clusterload.servers", 3000);
    private static final int ROUNDS = Integer.getInteger("bench.clusterload.rounds", 5);
    /** The untimed pause before each timed operation ({@link #settle}). */
    private static final long SETTLE_MS = Long.getLong("bench.clusterload.settleMillis", 200);
    private final int base = 13100 + (int) (ProcessHandle.current().pid() % 100) * 30;
    private final String cluster = "cload-" + ProcessHandle.current().pid();
    private final Map<String, FelixNodeJvm> jvms = new LinkedHashMap<>();
    private Path dir;
    private int major = 1;
    private boolean passed;
    /** The runtime's suspend-to-resume figure: node a's in single, the slowest node's in cluster, every round. */
    private final List<Double> singleMigration = new ArrayList<>(), clusterMigration = new ArrayList<>();
    /**
     * CPU time of each node's JVM (all its threads) during the timed operations, summed over the rounds: node index
     * 0..2, for single and for cluster. The OS counts it in clock ticks (10 ms), hence sums, not per-round figures.
     */
    private final long[] singleCpuNanos = new long[3], clusterCpuNanos = new long[3], parallelCpuNanos = new long[3];

    /** The CPU time of each node's JVM so far, in ns (-1 where the OS does not tell). */
    private long[] cpu() {
        long[] c = new long[NODES.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = jvms.get(NODES.get(i)).process.info().totalCpuDuration().map(java.time.Duration::toNanos)
                    .orElse(-1L);
        }
        return c;
    }

    private static void addCpu(long[] sum, long[] before, long[] after) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += after[i] - before[i];
        }
    }

    private Path jar(String version) throws IOException {
        return FelixNodeJvm.cstormJar(dir, version);
    }

    /** The next version: 4.0.0 skipped (cstorm's Guard refuses it on node c; no Guard runs here, but no surprise). */
    private String nextVersion() {
        major++;
        if (major == 4) {
            major++;
        }
        return major + ".0.0";
    }

    private FelixNodeJvm start(String node, String version) throws Exception {
        int port = base + NODES.indexOf(node);
        // the JVM options of ClusterStormIT's nodes, with heap for 3,000 servers and the migrations' copies
        FelixNodeJvm j = FelixNodeJvm.start(node, List.of("-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-Dhotcode.cluster.name=" + cluster, "-Dhotcode.cluster.node=" + node,
                "-Dhotcode.cluster.secret=cload-secret", "-Dhotcode.cluster.port=" + port,
                "-Dhotcode.cluster.hosts=127.0.0.1[" + base + "]", "-Dhotcode.cluster.failureTimeoutMillis=3000"),
                dir, jar(version), dir.resolve("node-" + node + ".log"), WAIT_MS);
        jvms.put(node, j);
        return j;
    }

    @After
    public void stopJvms() throws Exception {
        FelixNodeJvm.stopAll(jvms.values(), dir, passed);
    }

    private void allAt(String node, String version) throws Exception {
        assertEquals("node " + node + ": the versions its cells' states came through", "{" + version + "=" + SERVERS
                + "}", jvms.get(node).one("call cellVersions"));
    }

    /**
     * Lets the previous operation's untimed refresh finish on every node before the next timed operation. The runtime
     * uninstalls the purged version's anchor bundle on {@code PACKAGES_REFRESHED}, on Felix's event thread, after the
     * refresh has returned to the driver (1 to 40 ms later on this host); without this pause that uninstall ran into
     * the next operation on node a, holding up a's Felix update at the start of cluster rounds only (a had just been
     * refreshed after its single round), which charged the cluster figure with a purge. An untimed pause, the same
     * before both operations, never deciding an outcome.
     */
    private static void settle() throws InterruptedException {
        Thread.sleep(SETTLE_MS);
    }

    /** One single-node upgrade on node a; answers its wall time in ms. */
    private long single() throws Exception {
        String v = nextVersion();
        Path j = jar(v);
        settle();
        long[] c0 = cpu();
        long t = System.nanoTime();
        assertEquals("updated to " + v, jvms.get("a").one("update " + j));
        long ms = (System.nanoTime() - t) / 1_000_000;
        addCpu(singleCpuNanos, c0, cpu());
        allAt("a", v);
        singleMigration.add(migrationMs("a", v));
        jvms.get("a").one("refresh");
        return ms;
    }

    /**
     * The reference between the two: the same plain update as {@link #single} on the three nodes at once, each
     * from a driver thread of its own, no barrier and no cluster protocol; wall time until the last node's update
     * returned. The coordinated load minus this is what the coordination costs; this minus the single node's is what
     * three nodes' work on a shared host costs.
     */
    private long parallel() throws Exception {
        String v = nextVersion();
        Path j = jar(v);
        settle();
        java.util.concurrent.ExecutorService drivers = java.util.concurrent.Executors.newFixedThreadPool(NODES.size());
        try {
            long[] c0 = cpu();
            long t = System.nanoTime();
            List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
            for (String n : NODES) {
                answers.add(drivers.submit(() -> jvms.get(n).one("update " + j)));
            }
            for (java.util.concurrent.Future<String> a : answers) {
                assertEquals("updated to " + v, a.get(WAIT_MS, TimeUnit.MILLISECONDS));
            }
            long ms = (System.nanoTime() - t) / 1_000_000;
            addCpu(parallelCpuNanos, c0, cpu());
            for (String n : NODES) {
                allAt(n, v);
                migrationMs(n, v);
                jvms.get(n).one("refresh");
            }
            return ms;
        } finally {
            drivers.shutdownNow();
        }
    }

    /** One coordinated load on every node from node a; answers its wall time in ms. */
    private long coordinated() throws Exception {
        String v = nextVersion();
        String url = jar(v).toUri().toString();
        settle();
        long[] c0 = cpu();
        long t = System.nanoTime();
        String r = jvms.get("a").one("load cstorm " + url);
        long ms = (System.nanoTime() - t) / 1_000_000;
        addCpu(clusterCpuNanos, c0, cpu());
        assertTrue(r, r.contains("committed on every node"));
        double slowest = 0;
        for (String n : NODES) {
            allAt(n, v);
            slowest = Math.max(slowest, migrationMs(n, v));
            jvms.get(n).one("refresh");
        }
        clusterMigration.add(slowest);
        return ms;
    }

    private static final java.util.regex.Pattern UPGRADED = java.util.regex.Pattern.compile(
            "upgraded (\\d+) server\\(s\\) of cstorm \\S+ -> (\\S+): suspend \\+ migrate ([0-9.]+) ms,"
                    + " commit \\+ resume ([0-9.]+) ms");

    /**
     * The runtime's own figure for {@code node}'s upgrade to {@code version}: suspend + migrate plus commit + resume
     * (from the first server claimed to the last released), read from its console line.
     */
    private double migrationMs(String node, String version) throws InterruptedException {
        for (;;) {
            String l = jvms.get(node).upgrades.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            if (l == null) {
                fail("node " + node + ": no 'upgraded' line of the runtime for cstorm " + version);
            }
            java.util.regex.Matcher m = UPGRADED.matcher(l);
            if (m.find() && m.group(2).equals(version)) {
                assertEquals(l, String.valueOf(SERVERS), m.group(1));
                return Double.parseDouble(m.group(3)) + Double.parseDouble(m.group(4));
            }
        }
    }

    private static long median(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double medianD(List<Double> a) {
        List<Double> s = new ArrayList<>(a);
        java.util.Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static List<String> tenths(List<Double> a) {
        return a.stream().map(d -> String.format("%.1f", d)).toList();
    }

    @Test
    public void coordinatedLoadOnThreeNodesAgainstOneNodesUpgrade() throws Exception {
        TestModules.compileAll();
        dir = Files.createTempDirectory(HotcodeOptions.root().resolve("itest/target"), "cload");
        for (String n : NODES) {
            start(n, "1.0.0");
        }
        for (String n : NODES) {
            assertEquals(String.valueOf(SERVERS), jvms.get(n).one("call cells " + SERVERS));
            allAt(n, "1.0.0");
        }
        String loadBefore = loadAverage();
        System.out.println("cluster load bench: warm-up: single " + single() + " ms, 3 at once " + parallel()
                + " ms, cluster " + coordinated() + " ms");
        singleMigration.clear();
        java.util.Arrays.fill(singleCpuNanos, 0);
        java.util.Arrays.fill(clusterCpuNanos, 0);
        java.util.Arrays.fill(parallelCpuNanos, 0);
        clusterMigration.clear();
        long[] singles = new long[ROUNDS], loads = new long[ROUNDS], parallels = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            singles[r] = single();
            parallels[r] = parallel();
            loads[r] = coordinated();
            System.out.println("cluster load bench: round " + (r + 1) + ": single " + singles[r] + " ms, 3 at once "
                    + parallels[r] + " ms, cluster " + loads[r] + " ms");
        }
        long ms1 = median(singles), ms3 = median(loads);
        System.out.println("RESULT cload_single_node_" + SERVERS + "_ms " + ms1 + " " + Arrays.toString(singles));
        System.out.println("RESULT cload_3_nodes_" + SERVERS + "_ms " + ms3 + " " + Arrays.toString(loads));
        System.out.printf("RESULT cload_ratio %.2f (target <= 2.00)%n", (double) ms3 / ms1);
        System.out.println("RESULT cload_3_nodes_at_once_uncoordinated_" + SERVERS + "_ms " + median(parallels) + " "
                + Arrays.toString(parallels));
        System.out.printf("RESULT cload_single_node_%d_migration_ms %.1f %s%n", SERVERS, medianD(singleMigration),
                tenths(singleMigration));
        System.out.printf("RESULT cload_3_nodes_%d_slowest_migration_ms %.1f %s%n", SERVERS,
                medianD(clusterMigration), tenths(clusterMigration));
        System.out.println("RESULT cload_single_cpu_ms_per_round " + cpuPerRound(singleCpuNanos));
        System.out.println("RESULT cload_3_nodes_cpu_ms_per_round " + cpuPerRound(clusterCpuNanos));
        System.out.println("RESULT cload_3_nodes_at_once_cpu_ms_per_round " + cpuPerRound(parallelCpuNanos));
        System.out.println("RESULT cload_loadavg before " + loadBefore + ", after " + loadAverage());
        passed = true;
    }

    /** "a=.. b=.. c=.. sum=.." ms of CPU per timed round (mean over the rounds). */
    private static String cpuPerRound(long[] nanos) {
        StringBuilder sb = new StringBuilder();
        long sum = 0;
        for (int i = 0; i < nanos.length; i++) {
            sb.append(NODES.get(i)).append('=').append(String.format("%.1f", nanos[i] / 1e6 / ROUNDS)).append(' ');
            sum += nanos[i];
        }
        return sb.append("sum=").append(String.format("%.1f", sum / 1e6 / ROUNDS)).toString();
    }

    /** The host's load average over 1, 5 and 15 minutes (Linux), or "?" elsewhere. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
