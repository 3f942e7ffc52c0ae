package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import org.junit.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The storm's accounting through a partition that heals (three nodes in one JVM; node c is cut off by JGroups' loss
 * injection, then let back): senders on every node to receivers on every node, alternately by pid and by global name.
 * Per sender and receiver, nothing is delivered twice or out of order, and every message sent is delivered,
 * dead-lettered ({@code noconnection}) or in doubt, each in-doubt one checked against the receiver's record; the pairs
 * the partition does not touch lose nothing.
 */
public class PartitionStormTest extends Nodes {
    private static final Atom STOP = Atom.of("stop");
    /** Sender -> receiver -> what the receiver took, in order. */
    private final Map<String, List<Long>> received = new ConcurrentHashMap<>();
    /** Sender -> receiver -> how many the sender handed to send. */
    private final Map<String, AtomicLong> sent = new ConcurrentHashMap<>();

    private static String pair(String sender, String receiver) {
        return sender + " -> " + receiver;
    }

    private Pid receiver(Node n, String name) {
        return n.kernel.spawn(new Next() {
            @Override
            public Next run() {
                Tuple t = (Tuple) Hotcode.receive();
                received.computeIfAbsent(pair((String) t.get(0), name),
                        k -> java.util.Collections.synchronizedList(new ArrayList<>())).add((Long) t.get(2));
                return this;
            }
        }, false);
    }

    /**
     * Sends round after round to every target until {@code stop}: even targets by pid (looked up once), odd ones by
     * global name (looked up at each send; while the name is gone, nothing is sent to it and nothing is counted).
     */
    private Pid sender(Node n, String me, List<String> targets) {
        return n.kernel.spawn(() -> {
            Pid[] pids = new Pid[targets.size()];
            for (int j = 0; j < pids.length; j += 2) {
                pids[j] = n.kernel.whereisGlobal(targets.get(j));
            }
            while (Hotcode.receive(Duration.ZERO, STOP) == null) {
                for (int j = 0; j < pids.length; j++) {
                    Pid to = j % 2 == 0 ? pids[j] : n.kernel.whereisGlobal(targets.get(j));
                    if (to != null) {
                        AtomicLong c = sent.computeIfAbsent(pair(me, targets.get(j)), k -> new AtomicLong());
                        n.kernel.send(to, Tuple.of(me, targets.get(j), c.incrementAndGet()));
                    }
                }
                Hotcode.sleep(1); // a storm the test's 2 cores carry while JGroups detects the partition and merges
            }
            return null;
        }, false);
    }

    @Test
    public void everyMessageIsDeliveredDeadLetteredOrInDoubtThroughAPartition() throws Exception {
        Node a = node("a"), b = node("b");
        Node c = node("c", ClusterConfig.loopback(cluster, "c", SECRET), true);
        connected(a, b, c);
        List<Node> all = List.of(a, b, c);
        Map<String, List<Tuple>> inDoubt = new ConcurrentHashMap<>(); // by sender node: every message counted in doubt
        for (Node n : all) {
            List<Tuple> l = java.util.Collections.synchronizedList(new ArrayList<>());
            inDoubt.put(n.name, l);
            n.cluster.sessions.inDoubtListener = (to, m) -> l.add((Tuple) m);
        }
        List<String> targets = new ArrayList<>();
        for (Node n : all) {
            for (int i = 0; i < 2; i++) {
                String name = "recv-" + n.name + "-" + i;
                assertTrue(n.cluster.registerGlobal(name, receiver(n, name)));
                targets.add(name);
            }
        }
        await("every node knows every name", () -> all.stream().allMatch(n -> targets.stream()
                .allMatch(t -> n.kernel.whereisGlobal(t) != null)));
        List<Pid> senders = new ArrayList<>();
        List<Node> senderNodes = new ArrayList<>();
        for (Node n : all) {
            for (int i = 0; i < 2; i++) {
                senders.add(sender(n, n.name + "-s" + i, targets));
                senderNodes.add(n);
            }
        }
        await("messages flow", () -> targets.stream().allMatch(t -> received.keySet().stream()
                .filter(k -> k.endsWith(" -> " + t)).count() == 6));

        c.cluster.discard().discardAll(true); // c is cut off: nothing reaches it, nothing leaves it
        await("a and b see c go, c sees them go", () -> !a.cluster.nodes().contains("c")
                && !b.cluster.nodes().contains("c") && c.cluster.nodes().isEmpty());
        c.cluster.discard().discardAll(false); // the partition heals (MERGE3)
        connected(a, b, c);
        await("the names are back everywhere", () -> all.stream().allMatch(n -> targets.stream()
                .allMatch(t -> n.kernel.whereisGlobal(t) != null)));
        long healedAt = total(received);
        await("messages flow after the heal", () -> total(received) > healedAt + 1000);
        for (int i = 0; i < senders.size(); i++) {
            senderNodes.get(i).kernel.send(senders.get(i), STOP);
            assertTrue(senderNodes.get(i).kernel.processes().awaitExit(senders.get(i), WAIT_MS));
        }

        // per sender node: what its senders sent and their receivers did not take is exactly its dead letters
        // noconnection plus its in-doubt messages that did not arrive (an in-doubt one may have: checked one by one)
        for (Node n : all) {
            long noconnection = n.deadLetters("noconnection");
            List<Tuple> doubts;
            synchronized (inDoubt.get(n.name)) {
                doubts = new ArrayList<>(inDoubt.get(n.name));
            }
            assertEquals("node " + n.name + ": every message counted in doubt was told", n.cluster.stats().inDoubt(),
                    doubts.size());
            java.util.function.LongSupplier lostInDoubt = () -> {
                long lost = 0;
                for (Tuple m : doubts) { // each in-doubt message checked against the receiver's record
                    if (!copy(pair((String) m.get(0), (String) m.get(1))).contains((Long) m.get(2))) {
                        lost++;
                    }
                }
                return lost;
            };
            await("node " + n.name + ": every message sent has arrived, is a dead letter or in doubt and lost",
                    () -> missing(n.name) == noconnection + lostInDoubt.getAsLong());
            System.out.println("partition storm, node " + n.name + ": sent " + sentBy(n.name) + ", not arrived "
                    + missing(n.name) + " = dead letters noconnection " + noconnection + " + in doubt and not arrived "
                    + lostInDoubt.getAsLong() + " (in doubt " + doubts.size() + ", of which arrived "
                    + (doubts.size() - lostInDoubt.getAsLong()) + ")");
        }
        for (Map.Entry<String, AtomicLong> e : sent.entrySet()) {
            List<Long> got = copy(e.getKey());
            for (int i = 1; i < got.size(); i++) {
                assertTrue(e.getKey() + ": in order, once: " + got.get(i - 1) + " then " + got.get(i),
                        got.get(i) > got.get(i - 1));
            }
            assertTrue(e.getKey() + ": nothing beyond what was sent", got.isEmpty() || got.getLast() <= e.getValue().get());
            boolean touchesC = e.getKey().startsWith("c-") || e.getKey().contains("-> recv-c-");
            if (!touchesC) {
                assertEquals(e.getKey() + ": untouched by the partition, nothing missing", e.getValue().get(),
                        (long) got.size());
            }
        }
        for (Node n : all) {
            assertEquals("node " + n.name + ": no duplicate delivered", 0, n.cluster.stats().duplicates());
        }
    }

    private List<Long> copy(String pair) {
        List<Long> l = received.get(pair);
        if (l == null) {
            return List.of();
        }
        synchronized (l) {
            return new ArrayList<>(l);
        }
    }

    private long missing(String node) {
        long m = 0;
        for (Map.Entry<String, AtomicLong> e : sent.entrySet()) {
            if (e.getKey().startsWith(node + "-")) {
                m += e.getValue().get() - copy(e.getKey()).size();
            }
        }
        return m;
    }

    private long sentBy(String node) {
        return sent.entrySet().stream().filter(e -> e.getKey().startsWith(node + "-")).mapToLong(e -> e.getValue().get()).sum();
    }

    private static long total(Map<String, List<Long>> received) {
        long t = 0;
        for (List<Long> l : received.values()) {
            synchronized (l) {
                t += l.size();
            }
        }
        return t;
    }
}
