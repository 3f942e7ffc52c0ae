package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import org.junit.After;
import org.junit.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * Three nodes in three JVMs over TCP on 127.0.0.1 (this test's JVM is node a; b and c are {@link NodeMain}s): order
 * and replies by global name across JVMs, a {@code kill -9} of a node (links, monitors, node monitors and names fire
 * or go), and its restart as a new incarnation that messages to the old one never reach.
 */
public class MultiJvmTest extends Nodes {
    private final int base = 8300 + (int) (ProcessHandle.current().pid() % 80) * 20;
    private final String hosts = "127.0.0.1[" + base + "]";
    private final List<Process> jvms = new ArrayList<>();

    private Process startJvm(String node, String... more) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), cluster, node, String.valueOf(base), hosts));
        command.addAll(List.of(more));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        jvms.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.currentTimeMillis() + 60_000;
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY")) {
                return p;
            }
            if (System.currentTimeMillis() > deadline) {
                break;
            }
        }
        fail("node " + node + " did not start (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")");
        return null;
    }

    @After
    public void stopJvms() throws Exception {
        for (Process p : jvms) {
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    public void threeJvmsKillAndRestart() throws Exception {
        Node a = node("a", new ClusterConfig(cluster, "a", SECRET, "127.0.0.1", base, hosts, "tcp", 3000), false);
        startJvm("b");
        Process c = startJvm("c");
        await("a sees b and c with their echoes", () -> a.cluster.nodes().containsAll(List.of("b", "c"))
                && a.kernel.whereisGlobal("echo-b") != null && a.kernel.whereisGlobal("echo-c") != null);

        // order and replies across JVMs, by global name
        BlockingQueue<Object> replies = queue();
        Pid me = a.collector(replies);
        Pid echoB = a.kernel.whereisGlobal("echo-b");
        for (int i = 0; i < 1000; i++) {
            a.kernel.send(echoB, Tuple.of(me, i));
        }
        for (int i = 0; i < 1000; i++) {
            assertEquals(Tuple.of(Atom.of("echo"), "b", i), next(replies));
        }

        // kill -9 of c: a link, a monitor and a node monitor of it fire, its name goes
        Pid oldEchoC = a.kernel.whereisGlobal("echo-c");
        long oldIncarnation = a.cluster.peer("c").incarnation;
        BlockingQueue<Object> signals = queue();
        a.kernel.spawn(() -> {
            Hotcode.trapExit(true);
            a.kernel.link(oldEchoC);
            signals.add(a.kernel.monitor(oldEchoC));
            a.kernel.monitorNode("c", true);
            return new Next() {
                @Override
                public Next run() {
                    signals.add(Hotcode.receive());
                    return this;
                }
            };
        }, false);
        Object ref = next(signals);
        c.destroyForcibly();
        Set<Object> got = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            got.add(next(signals));
        }
        Atom noconnection = Atom.of("noconnection");
        assertEquals(Set.of(Tuple.of(Hotcode.EXIT, oldEchoC, noconnection),
                Tuple.of(Hotcode.DOWN, ref, Atom.of("process"), oldEchoC, noconnection),
                Tuple.of(Atom.of("nodedown"), "c")), got);
        await("echo-c gone", () -> a.kernel.whereisGlobal("echo-c") == null);

        // c again: a new incarnation; the old pid's messages never reach it
        startJvm("c");
        await("a sees the new c", () -> a.cluster.peer("c") != null && a.kernel.whereisGlobal("echo-c") != null);
        assertNotEquals(oldIncarnation, a.cluster.peer("c").incarnation);
        Pid newEchoC = a.kernel.whereisGlobal("echo-c");
        assertNotEquals(oldEchoC, newEchoC);
        long before = a.deadLetters("noconnection");
        a.kernel.send(oldEchoC, Tuple.of(me, "to the old c"));
        assertEquals(before + 1, a.deadLetters("noconnection"));
        a.kernel.send(newEchoC, Tuple.of(me, "to the new c"));
        assertEquals(Tuple.of(Atom.of("echo"), "c", "to the new c"), next(replies));
        assertTrue(replies.isEmpty());
        assertNotNull(a.cluster.stats());
    }

    // ------------------------------------------------------------------ the storm (reduced: no partition, no kill)

    /**
     * Senders on every node to receivers on every node, by pid and by global name, while module {@code storm} is
     * updated node by node (b, then c, then a: mixed versions meanwhile), then loaded on every node at once by two
     * coordinated loads ({@code hotcode:cluster load storm <version>}, through the real upgrade transaction of each
     * JVM's kernel): 3.0.0 commits everywhere; 4.0.0, whose codeChange fails on node c only, rolls back everywhere, and
     * every node stays on 3.0.0. Per sender and receiver: every message sent
     * is delivered exactly once and in order; no node counts a dead letter or a message in doubt, since no node fails
     * here (kill -9 and its accounting are {@link #threeJvmsKillAndRestart}'s, partitions DeadLetterTest's).
     */
    @Test
    public void aStormAcrossThreeJvmsWithNodeByNodeUpdates() throws Exception {
        Node a = node("a", new ClusterConfig(cluster, "a", SECRET, "127.0.0.1", base, hosts, "tcp", 3000), false,
                Storm::node);
        hotcode.runtime.impl.Kernel.install(a.kernel);
        try {
            Storm.start(a.kernel, a.cluster, "a");
            startJvm("b", "storm");
            startJvm("c", "storm");
            List<String> nodes = List.of("a", "b", "c");
            List<Object> targets = new ArrayList<>();
            for (String n : nodes) {
                for (int i = 0; i < Storm.RECEIVERS; i++) {
                    targets.add("recv-" + n + "-" + i);
                }
            }
            await("a sees every node's storm", () -> {
                for (String n : nodes) {
                    if (a.kernel.whereisGlobal("storm-" + n) == null) {
                        return false;
                    }
                }
                return targets.stream().allMatch(t -> a.kernel.whereisGlobal((String) t) != null);
            });
            BlockingQueue<Object> sent = queue(), updates = queue(), reports = queue();
            Pid sentTo = a.collector(sent), updatesTo = a.collector(updates), reportsTo = a.collector(reports);
            for (String n : nodes) {
                a.kernel.send(a.kernel.whereisGlobal("storm-" + n), Tuple.of(Storm.GO, sentTo, targets));
            }
            Map<String, Map<String, List<Long>>> seen = reportsUntil(a, nodes, reportsTo, reports,
                    "every receiver took messages at 1.0.0", r -> everyReceiver(r, "@1.0.0", 100));
            for (String n : List.of("b", "c", "a")) { // node by node: the others run 1.0.0 meanwhile
                a.kernel.send(a.kernel.whereisGlobal("storm-" + n), Tuple.of(Storm.UPDATE, updatesTo, "2.0.0"));
                assertEquals(Tuple.of(Atom.of("updated"), n, "2.0.0"), next(updates));
            }
            reportsUntil(a, nodes, reportsTo, reports, "every receiver took messages at 2.0.0",
                    r -> everyReceiver(r, "@2.0.0", 100));

            // coordinated loads: all commit, or all roll back
            String ok = a.cluster.clusterLoad("storm", "3.0.0");
            assertTrue(ok, ok.contains("committed on every node"));
            seen = reportsUntil(a, nodes, reportsTo, reports, "every receiver took messages at 3.0.0",
                    r -> everyReceiver(r, "@3.0.0", 100));
            String no = a.cluster.clusterLoad("storm", Storm.FAILING_VERSION);
            assertTrue(no, no.contains("aborted on every node: node c: ") && no.contains("refuses the state of 3.0.0"));
            Map<String, Map<String, List<Long>>> before = seen;
            reportsUntil(a, nodes, reportsTo, reports, "every receiver goes on at 3.0.0 after the rollback", r -> {
                for (Map.Entry<String, Map<String, List<Long>>> e : r.entrySet()) {
                    assertTrue("no receiver ever ran " + Storm.FAILING_VERSION + ": " + e,
                            !e.getValue().containsKey("@" + Storm.FAILING_VERSION));
                    if (e.getValue().get("@3.0.0").get(0) < before.get(e.getKey()).get("@3.0.0").get(0) + 100) {
                        return false;
                    }
                }
                return true;
            });
            for (String n : nodes) {
                a.kernel.send(a.kernel.whereisGlobal("storm-" + n), Tuple.of(Storm.STOP, sentTo));
            }
            Map<String, Map<String, Long>> sentBy = new java.util.TreeMap<>();
            for (int i = 0; i < nodes.size() * Storm.SENDERS; i++) {
                Tuple t = (Tuple) next(sent);
                @SuppressWarnings("unchecked")
                Map<String, Long> counts = (Map<String, Long>) t.get(2);
                sentBy.put((String) t.get(1), counts);
            }
            seen = reportsUntil(a, nodes, reportsTo, reports, "every message sent has arrived", r -> {
                for (Map.Entry<String, Map<String, Long>> s : sentBy.entrySet()) {
                    for (Map.Entry<String, Long> e : s.getValue().entrySet()) {
                        List<Long> got = r.get(e.getKey()).get(s.getKey());
                        if (got == null || got.get(0) < e.getValue()) {
                            return false;
                        }
                    }
                }
                return true;
            });
            long total = 0;
            for (Map.Entry<String, Map<String, Long>> s : sentBy.entrySet()) {
                for (Map.Entry<String, Long> e : s.getValue().entrySet()) {
                    List<Long> got = seen.get(e.getKey()).get(s.getKey()); // [count, last, violations, gaps]
                    String pair = s.getKey() + " -> " + e.getKey();
                    assertEquals(pair + ": every message delivered, once", e.getValue(), got.get(0));
                    assertEquals(pair + ": the last one last", e.getValue(), got.get(1));
                    assertEquals(pair + ": none twice or out of order", 0L, (long) got.get(2));
                    assertEquals(pair + ": none skipped", 0L, (long) got.get(3));
                    total += e.getValue();
                }
            }
            assertTrue("a storm, not a drizzle: " + total + " messages", total >= 6 * 6 * 200);
            for (Map.Entry<String, Object[]> n : lastAccounts.entrySet()) {
                assertEquals("node " + n.getKey() + ": no dead letters", Map.of(), n.getValue()[0]);
                assertEquals("node " + n.getKey() + ": nothing in doubt", 0L, n.getValue()[1]);
            }
            System.out.println("storm: " + total + " messages from " + sentBy.size() + " senders to " + targets.size()
                    + " receivers on 3 JVMs, every one delivered once and in order through 3 node-by-node updates, a"
                    + " coordinated load and a coordinated load rolled back");
        } finally {
            hotcode.runtime.impl.Kernel.uninstall(a.kernel);
        }
    }

    /** Per node, from its last report: {dead letters by reason, messages in doubt}. */
    private final Map<String, Object[]> lastAccounts = new java.util.TreeMap<>();

    /**
     * Asks every node's storm for its receivers' states until {@code done} holds for them (receiver -> sender or
     * "@version" -> counts), within the wait of {@link Nodes}; returns the last states.
     */
    private Map<String, Map<String, List<Long>>> reportsUntil(Node a, List<String> nodes, Pid to,
            BlockingQueue<Object> reports, String what,
            java.util.function.Predicate<Map<String, Map<String, List<Long>>>> done) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        for (;;) {
            for (String n : nodes) {
                a.kernel.send(a.kernel.whereisGlobal("storm-" + n), Tuple.of(Storm.REPORT, to));
            }
            Map<String, Map<String, List<Long>>> states = new java.util.TreeMap<>();
            for (int i = 0; i < nodes.size(); i++) {
                Tuple t = (Tuple) next(reports);
                @SuppressWarnings("unchecked")
                Map<String, Map<String, List<Long>>> s = (Map<String, Map<String, List<Long>>>) t.get(2);
                states.putAll(s);
                lastAccounts.put((String) t.get(1), new Object[] {t.get(3), t.get(4)});
            }
            if (done.test(states)) {
                return states;
            }
            if (System.currentTimeMillis() > deadline) {
                fail("not within 60 s: " + what + "; last states: " + states);
            }
            Thread.sleep(50);
        }
    }

    private static boolean everyReceiver(Map<String, Map<String, List<Long>>> states, String key, long atLeast) {
        return states.size() == 3 * Storm.RECEIVERS && states.values().stream()
                .allMatch(s -> s.containsKey(key) && s.get(key).get(0) >= atLeast);
    }
}
