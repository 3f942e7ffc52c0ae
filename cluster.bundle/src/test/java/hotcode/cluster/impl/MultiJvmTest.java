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

    private Process startJvm(String node) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                NodeMain.class.getName(), cluster, node, String.valueOf(base), hosts);
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
}
