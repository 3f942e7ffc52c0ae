package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.After;
import org.junit.Test;

/**
 * The distributed storm of issue 15 on real Felix: three Felix JVMs ({@link FelixNode}: runtime, cluster bundle,
 * test module {@code cstorm}) join a cluster over TCP on 127.0.0.1; two senders on every node send to two receivers
 * on every node, alternately by pid (looked up once) and by global name (looked up at each send), while
 * <ol>
 * <li>module cstorm is updated to 2.0.0 node by node (b, c, a: mixed versions meanwhile), each update followed by a
 * refresh of the bundle once its receivers and senders run the new code;</li>
 * <li>one coordinated load ({@code hotcode:cluster load cstorm <url>}) takes every node to 3.0.0, then each node
 * refreshes; a second one, 4.0.0, whose codeChange fails on node c only (the module's Guard server), rolls back on
 * every node: all stay on 3.0.0 and no receiver ever runs 4.0.0;</li>
 * <li>node b is cut off by the cluster bundle's test-only loss injection (JGroups' DISCARD) until every node sees
 * the partition, then let back and the cluster merges;</li>
 * <li>node c is killed ({@code kill -9}) and started again (a new incarnation, its receivers under the same global
 * names, its senders under new names).</li>
 * </ol>
 * Then the senders stop. On every receiver: nothing twice and nothing out of order. For every sender that lived to
 * the end (a's, b's, the new c's), message by message: each one sent was delivered, dead-lettered with a reason, or
 * counted in doubt, each in-doubt one checked against the receiver's record (and no dead letter was delivered): those
 * sent and not delivered are exactly the dead letters plus the in-doubt ones that did not arrive. The old c's record
 * went with it: it is read just before the kill and checked up to the last message it had taken then (FIFO: one not
 * taken below that is never taken); what a and b sent to it once it was dead must be dead letters or in doubt; the new
 * c's record is checked from the first message it took. What was sent to the old c between the reading and its death
 * is not checked, nor what the old c's senders sent (their counts went with it): see docs/DESIGN.md, "Nodes".
 *
 * <p>Each node's standard error (JGroups' and the runtime's log) goes to
 * {@code itest/target/cstorm<n>/node-<node>-*.log}, kept when the test fails.
 */
public class ClusterStormIT {
    private static final List<String> NODES = List.of("a", "b", "c");
    private static final int RECEIVERS = 2, SENDERS = 2;
    private static final long WAIT_MS = 90_000;
    private final int base = 10100 + (int) (ProcessHandle.current().pid() % 100) * 30;
    private final String cluster = "cstorm-" + ProcessHandle.current().pid();
    private final Map<String, FelixNodeJvm> jvms = new LinkedHashMap<>();
    private Path dir;
    private boolean passed;

    private Path jar(String version) throws IOException {
        return FelixNodeJvm.cstormJar(dir, version);
    }

    private FelixNodeJvm start(String node, String version) throws Exception {
        int port = base + NODES.indexOf(node);
        FelixNodeJvm j = FelixNodeJvm.start(node, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Dhotcode.cluster.name=" + cluster, "-Dhotcode.cluster.node=" + node,
                "-Dhotcode.cluster.secret=cstorm-secret", "-Dhotcode.cluster.port=" + port,
                "-Dhotcode.cluster.hosts=127.0.0.1[" + base + "]", "-Dhotcode.cluster.failureTimeoutMillis=3000",
                "-Dhotcode.cluster.lossInjection=true", "-Dhotcode.migration.timeout.ms=5000"),
                dir, jar(version), dir.resolve("node-" + node + "-" + System.nanoTime() + ".log"), WAIT_MS);
        jvms.put(node, j);
        return j;
    }

    @After
    public void stopJvms() throws Exception {
        FelixNodeJvm.stopAll(jvms.values(), dir, passed);
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        await(what, done, new StringBuilder());
    }

    /** Waits for {@code done}; on time-out fails with {@code what} and what {@code detail} holds then. */
    private static void await(String what, BooleanSupplier done, StringBuilder detail) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("not within " + WAIT_MS + " ms: " + what + (detail.length() == 0 ? "" : ":\n" + detail));
            }
            Thread.sleep(100);
        }
    }

    /** Sneaky: lets a command's failure leave an {@link #await} condition. */
    private interface Check {
        boolean test() throws Exception;
    }

    private static BooleanSupplier check(Check c) {
        return () -> {
            try {
                return c.test();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private Map<String, String> board(String node) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (String l : jvms.get(node).run("call report")) {
            int eq = l.lastIndexOf('=');
            if (eq > 0) {
                m.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return m;
    }

    private static long num(Map<String, String> board, String key) {
        String v = board.get(key);
        return v == null ? 0 : Long.parseLong(v.split(",")[0]);
    }

    /** Every receiver of {@code node} and every sender there took or sent messages at {@code version}. */
    private boolean runs(String node, String senderPrefix, String version) throws Exception {
        Map<String, String> b = board(node);
        for (int i = 0; i < RECEIVERS; i++) {
            if (num(b, "vsn|recv-" + node + "-" + i + "|" + version) == 0) {
                return false;
            }
        }
        for (int i = 0; i < SENDERS; i++) {
            if (num(b, "svsn|" + senderPrefix + "-s" + i + "|" + version) == 0) {
                return false;
            }
        }
        return true;
    }

    private static BitSet bits(String s) {
        BitSet b = new BitSet();
        String inner = s.trim().replaceAll("[{}]", "");
        if (!inner.isBlank()) {
            for (String x : inner.split(",")) {
                b.set(Integer.parseInt(x.trim()));
            }
        }
        return b;
    }

    @Test
    public void aStormAcrossThreeFelixJvmsThroughUpdatesRefreshesALoadAPartitionAndAKill() throws Exception {
        long t0 = System.nanoTime();
        TestModules.compileAll();
        dir = Files.createTempDirectory(HotcodeOptions.root().resolve("itest/target"), "cstorm");
        for (String n : NODES) {
            start(n, "1.0.0");
        }
        List<String> targets = new ArrayList<>();
        for (String n : NODES) {
            for (int i = 0; i < RECEIVERS; i++) {
                targets.add("recv-" + n + "-" + i);
            }
        }
        String targetList = String.join(",", targets);
        for (String n : NODES) {
            jvms.get(n).run("call start " + n + " " + RECEIVERS);
        }
        await("every node knows every receiver's name", check(() -> {
            for (String n : NODES) {
                if (!jvms.get(n).one("call known " + targetList).equals(String.valueOf(targets.size()))) {
                    return false;
                }
            }
            return true;
        }));
        for (String n : NODES) {
            jvms.get(n).run("call go " + n + " " + SENDERS + " " + targetList);
        }
        await("every node runs the storm at 1.0.0", check(() -> runs("a", "a", "1.0.0") && runs("b", "b", "1.0.0")
                && runs("c", "c", "1.0.0")));

        // 1. node by node: update to 2.0.0 (the others run 1.0.0 meanwhile), and a refresh once the new code runs
        for (String n : List.of("b", "c", "a")) {
            assertEquals("updated to 2.0.0", jvms.get(n).one("update " + jar("2.0.0")));
            await("node " + n + " runs 2.0.0", check(() -> runs(n, n, "2.0.0")));
            jvms.get(n).run("refresh");
        }

        // 2. one coordinated load: 3.0.0 on every node or none; then each node refreshes
        String load = jvms.get("a").one("load cstorm " + jar("3.0.0").toUri());
        assertTrue(load, load.contains("committed on every node"));
        for (String n : NODES) {
            await("node " + n + " runs 3.0.0", check(() -> runs(n, n, "3.0.0")));
            jvms.get(n).run("refresh");
        }

        // ... and one that rolls back on every node: 4.0.0's codeChange fails on node c (Guard); every node stays on
        // 3.0.0 and the storm goes on there
        String no = jvms.get("a").one("load cstorm " + jar("4.0.0").toUri());
        assertTrue(no, no.contains("aborted on every node: node c") && no.contains("refuses the state of 3.0.0"));
        Map<String, Long> at3 = new TreeMap<>();
        for (String n : NODES) {
            assertEquals("node " + n + ": the guard after the rollback", "3.0.0", jvms.get(n).one("call guard"));
            Map<String, String> b = board(n);
            for (int i = 0; i < RECEIVERS; i++) {
                at3.put("recv-" + n + "-" + i, num(b, "vsn|recv-" + n + "-" + i + "|3.0.0"));
            }
        }
        await("every receiver goes on at 3.0.0 after the rollback", check(() -> {
            for (String n : NODES) {
                Map<String, String> b = board(n);
                for (int i = 0; i < RECEIVERS; i++) {
                    String r = "recv-" + n + "-" + i;
                    assertEquals(r + " never ran 4.0.0", 0, num(b, "vsn|" + r + "|4.0.0"));
                    if (num(b, "vsn|" + r + "|3.0.0") < at3.get(r) + 100) {
                        return false;
                    }
                }
            }
            return true;
        }));

        // 3. a partition that heals: b cut off until every node sees it, then let back
        jvms.get("b").run("loss cut");
        await("a and c see b go, b sees them go", check(() -> !jvms.get("a").run("call members").contains("b")
                && !jvms.get("c").run("call members").contains("b") && jvms.get("b").run("call members").size() == 1));
        jvms.get("b").run("loss heal");
        await("the cluster merges and every name is back", check(() -> {
            for (String n : NODES) {
                if (jvms.get(n).run("call members").size() != 3
                        || !jvms.get(n).one("call known " + targetList).equals(String.valueOf(targets.size()))) {
                    return false;
                }
            }
            return true;
        }));

        // 4. kill -9 of c, and c again: a new incarnation, its receivers under the same names, its senders as c2-s<i>
        // the old c's record, just before the kill: what it had not taken by then (below the last it took: FIFO) it
        // never takes, so those must be dead letters or in doubt; only what was sent between this and the kill is not
        // known
        FelixNodeJvm oldC = jvms.get("c");
        List<String> toOldC = new ArrayList<>();
        for (String s : List.of("a-s0", "a-s1", "b-s0", "b-s1")) {
            for (int i = 0; i < RECEIVERS; i++) {
                toOldC.add(s + ">recv-c-" + i);
            }
        }
        Map<String, BitSet> beforeKill = new TreeMap<>();
        List<String> read = oldC.run("call receivedOf " + String.join(",", toOldC));
        for (String l : read.subList(0, read.size() - 1)) {
            beforeKill.put(l.substring(0, l.indexOf('=')), bits(l.substring(l.indexOf('=') + 1)));
        }
        assertEquals(toOldC.size(), beforeKill.size());
        jvms.remove("c");
        oldC.process.destroyForcibly(); // SIGKILL
        assertTrue(oldC.process.waitFor(30, TimeUnit.SECONDS));
        // what a and b had sent to the old c when it was dead: anything after that never reached it
        Map<String, Long> sentAtKill = new TreeMap<>();
        for (String n : List.of("a", "b")) {
            Map<String, String> b = board(n);
            for (String pair : toOldC) {
                if (pair.startsWith(n + "-")) {
                    sentAtKill.put(pair, num(b, "sent|" + pair));
                }
            }
        }
        await("a and b see c go", check(() -> !jvms.get("a").run("call members").contains("c")
                && !jvms.get("b").run("call members").contains("c")));
        start("c", "3.0.0");
        jvms.get("c").run("call start c " + RECEIVERS);
        await("every node knows every receiver's name again", check(() -> {
            for (String n : NODES) {
                if (!jvms.get(n).one("call known " + targetList).equals(String.valueOf(targets.size()))) {
                    return false;
                }
            }
            return true;
        }));
        jvms.get("c").run("call go c2 " + SENDERS + " " + targetList);
        await("the new c runs the storm", check(() -> runs("c", "c2", "3.0.0")));

        // stop; the accounting
        for (String n : NODES) {
            jvms.get(n).run("call stop");
        }
        Map<String, String> senderNode = new TreeMap<>();
        for (int i = 0; i < SENDERS; i++) {
            senderNode.put("a-s" + i, "a");
            senderNode.put("b-s" + i, "b");
            senderNode.put("c2-s" + i, "c");
        }
        await("every sender stopped", check(() -> {
            for (Map.Entry<String, String> s : senderNode.entrySet()) {
                if (num(board(s.getValue()), "stopped|" + s.getKey()) == 0) {
                    return false;
                }
            }
            return true;
        }));
        Map<String, Map<String, String>> boards = new TreeMap<>();
        Pattern doubt = Pattern.compile("\\{\"?([\\w-]+)\"?, \"?([\\w-]+)\"?, (\\d+)L?\\}");
        StringBuilder summary = new StringBuilder();
        // checked: sent, delivered, dead letters, in doubt and lost; unchecked (to the old c); in doubt and delivered
        long[] totals = new long[6];
        await("every message sent to a receiver that lived to the end has arrived, is a dead letter or in doubt",
                check(() -> {
                    boards.clear();
                    for (String n : NODES) {
                        boards.put(n, board(n));
                    }
                    summary.setLength(0);
                    java.util.Arrays.fill(totals, 0);
                    for (String n : NODES) {
                        List<String> doubts = jvms.get(n).run("loss inDoubt");
                        doubts.remove(doubts.size() - 1);
                        Map<String, BitSet> doubtful = new TreeMap<>();
                        for (String d : doubts) {
                            Matcher m = doubt.matcher(d);
                            assertTrue("node " + n + ": an in-doubt message of the storm: " + d, m.matches());
                            doubtful.computeIfAbsent(m.group(1) + ">" + m.group(2), k -> new BitSet())
                                    .set(Integer.parseInt(m.group(3)));
                        }
                        for (Map.Entry<String, String> s : senderNode.entrySet()) {
                            if (!s.getValue().equals(n)) {
                                continue;
                            }
                            for (String t : targets) {
                                String pair = s.getKey() + ">" + t;
                                String rn = t.substring(5, 6);
                                long sent = num(boards.get(n), "sent|" + pair);
                                BitSet dead = bits(jvms.get(n).one("call deadSeqs " + pair));
                                BitSet got = bits(jvms.get(rn).one("call received " + pair));
                                BitSet inDoubt = doubtful.getOrDefault(pair, new BitSet());
                                BitSet deadAndGot = (BitSet) dead.clone();
                                deadAndGot.and(got);
                                assertTrue(pair + ": dead-lettered and delivered all the same: " + deadAndGot,
                                        deadAndGot.isEmpty());
                                // to the old c's receivers: their record went with them; what they had taken just
                                // before the kill is checked up to the last one then, and what the new c took after
                                // its first one (by name: the name moved once; by pid nothing reaches the new c)
                                int from = 1;
                                if (rn.equals("c") && !s.getKey().startsWith("c2")) {
                                    BitSet before = beforeKill.get(pair);
                                    BitSet early = new BitSet();
                                    early.set(1, Math.max(1, before.length()));
                                    BitSet deadEarly = (BitSet) dead.clone();
                                    deadEarly.and(early);
                                    BitSet deadAndTaken = (BitSet) deadEarly.clone();
                                    deadAndTaken.and(before);
                                    assertTrue(pair + ": dead-lettered and taken by the old c: " + deadAndTaken,
                                            deadAndTaken.isEmpty());
                                    totals[0] += early.cardinality();
                                    totals[1] += before.cardinality();
                                    totals[2] += deadEarly.cardinality();
                                    early.andNot(before);
                                    early.andNot(dead);
                                    BitSet lostEarly = (BitSet) early.clone();
                                    lostEarly.andNot(inDoubt);
                                    totals[3] += early.cardinality() - lostEarly.cardinality();
                                    if (!lostEarly.isEmpty()) {
                                        summary.append(pair).append(": not taken by the old c before its last one,"
                                                + " not a dead letter, not in doubt: ").append(lostEarly).append('\n');
                                    }
                                    // after the kill: to the new c (by name, from its first), or never taken
                                    int at = (int) (long) sentAtKill.get(pair);
                                    from = got.nextSetBit(0);
                                    BitSet late = new BitSet();
                                    late.set(at + 1, from < 0 ? (int) sent + 1 : Math.max(at + 1, from));
                                    totals[0] += late.cardinality();
                                    BitSet deadLate = (BitSet) dead.clone();
                                    deadLate.and(late);
                                    totals[2] += deadLate.cardinality();
                                    late.andNot(dead);
                                    BitSet lostLate = (BitSet) late.clone();
                                    lostLate.andNot(inDoubt);
                                    totals[3] += late.cardinality() - lostLate.cardinality();
                                    if (!lostLate.isEmpty()) {
                                        summary.append(pair).append(": sent to the old c after its kill, not a dead"
                                                + " letter, not in doubt: ").append(lostLate).append('\n');
                                    }
                                    totals[4] += Math.max(0, at - (before.length() - 1));
                                    if (from < 0) {
                                        continue;
                                    }
                                }
                                BitSet missing = new BitSet();
                                missing.set(from, (int) sent + 1);
                                totals[0] += missing.cardinality();
                                totals[1] += got.cardinality();
                                BitSet deadInRange = (BitSet) dead.clone();
                                deadInRange.and(missing);
                                totals[2] += deadInRange.cardinality();
                                missing.andNot(got);
                                missing.andNot(dead);
                                BitSet unaccounted = (BitSet) missing.clone();
                                unaccounted.andNot(inDoubt);
                                totals[3] += missing.cardinality() - unaccounted.cardinality();
                                BitSet doubtGot = (BitSet) inDoubt.clone();
                                doubtGot.and(got);
                                totals[5] += doubtGot.cardinality();
                                if (!unaccounted.isEmpty() || got.length() > sent + 1) {
                                    summary.append(pair).append(": sent ").append(sent).append(", not delivered, not"
                                            + " a dead letter, not in doubt: ").append(unaccounted).append('\n');
                                }
                            }
                        }
                    }
                    return summary.length() == 0;
                }), summary);
        // nothing twice or out of order, on any receiver (the old c's senders and receivers included)
        for (Map.Entry<String, Map<String, String>> b : boards.entrySet()) {
            for (Map.Entry<String, String> e : b.getValue().entrySet()) {
                if (e.getKey().startsWith("recv|")) {
                    assertEquals("node " + b.getKey() + ", " + e.getKey() + " (count, last, twice or out of order,"
                            + " skipped): none twice or out of order", "0", e.getValue().split(",")[2]);
                }
            }
        }
        long deadReasons = 0;
        for (Map.Entry<String, Map<String, String>> b : boards.entrySet()) {
            for (Map.Entry<String, String> e : b.getValue().entrySet()) {
                if (e.getKey().startsWith("dead|")) {
                    String reason = e.getKey().substring(e.getKey().lastIndexOf('|') + 1);
                    assertTrue("a dead letter's reason: " + e, List.of("noconnection", "noproc").contains(reason));
                    deadReasons += Long.parseLong(e.getValue());
                }
            }
        }
        assertTrue("the kill leaves dead letters (sends by pid to the old c): " + deadReasons, deadReasons > 0);
        assertTrue("a storm, not a drizzle: " + totals[0], totals[0] >= 10_000);
        System.out.println("cluster storm on 3 Felix JVMs in " + (System.nanoTime() - t0) / 1_000_000 + " ms, checked"
                + " message by message: " + totals[0] + " sent = " + totals[1] + " delivered + " + totals[2]
                + " dead letters + " + totals[3] + " in doubt and lost (" + totals[5] + " more in doubt were"
                + " delivered); " + totals[4] + " sent to the old c's receivers between the reading of its record and"
                + " its death, not checked");
        passed = true;

    }
}
