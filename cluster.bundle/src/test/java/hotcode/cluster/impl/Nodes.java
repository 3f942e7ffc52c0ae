package hotcode.cluster.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.After;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.fail;

/**
 * Several nodes in one JVM: each a {@link Kernel} of its own (not installed: the test and its processes call their
 * node's kernel directly, since {@code Hotcode.send} reaches the one installed runtime) and a {@link ClusterNode} on
 * JGroups' SHARED_LOOPBACK, in a cluster named for the test so tests never see each other's nodes.
 */
public abstract class Nodes {
    static final String SECRET = "s3cret";
    static final long WAIT_MS = 15_000;
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    final String cluster = getClass().getSimpleName() + "-" + CLUSTERS.incrementAndGet() + "-" + ProcessHandle.current().pid();
    final List<Node> started = new ArrayList<>();

    static final class Node {
        final String name;
        final Kernel kernel = new Kernel(2000);
        ClusterNode cluster;

        Node(String name) {
            this.name = name;
        }

        /** A process that puts every message it receives on {@code q}. */
        Pid collector(BlockingQueue<Object> q) {
            return kernel.spawn(new Next() {
                @Override
                public Next run() {
                    q.add(Hotcode.receive());
                    return this;
                }
            }, false);
        }

        /** How {@code other} names the local pid {@code pid} (the index is this test's; equality ignores it). */
        RemotePid remote(Pid pid) {
            return new RemotePid(name, cluster.incarnation(), pid.id(), 99);
        }

        long deadLetters(String reason) {
            return kernel.deadLetters().countsByReason().getOrDefault(reason, 0L);
        }
    }

    Node node(String name) throws Exception {
        return node(name, ClusterConfig.loopback(cluster, name, SECRET), false);
    }

    Node node(String name, ClusterConfig config, boolean discard) throws Exception {
        return node(name, config, discard, l -> l);
    }

    /** A node whose runtime port is {@code wrap} of its kernel's (a test replaces what the kernel cannot do alone). */
    Node node(String name, ClusterConfig config, boolean discard,
              java.util.function.UnaryOperator<hotcode.runtime.spi.node.LocalNode> wrap) throws Exception {
        Node n = new Node(name);
        started.add(n);
        n.cluster = ClusterNode.start(wrap.apply(n.kernel.node()), config, discard);
        return n;
    }

    /** Waits until every node sees every other (said hello both ways). */
    void connected(Node... nodes) throws InterruptedException {
        await("nodes connected", () -> {
            for (Node a : nodes) {
                for (Node b : nodes) {
                    if (a != b && (!a.cluster.nodes().contains(b.name) || a.cluster.peer(b.name) == null)) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                fail("not within " + WAIT_MS + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }

    static Object next(BlockingQueue<Object> q) throws InterruptedException {
        Object o = q.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull("no message within " + WAIT_MS + " ms", o);
        return o;
    }

    static Map<String, Long> counts(Node n) {
        return n.kernel.deadLetters().countsByReason();
    }

    @After
    public void stopNodes() throws InterruptedException {
        for (Node n : started) {
            if (n.cluster != null) {
                n.cluster.close();
            }
            n.kernel.processes().killAll(1000);
        }
    }

    static BlockingQueue<Object> queue() {
        return new LinkedBlockingQueue<>();
    }
}
