package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A message from another node is delivered into the mailbox as it arrived and decoded at its receiver's receive, with
 * the module versions loaded then; dead letters at either end name the remote sender.
 */
public class DecodeAtReceiveTest extends Nodes {
    /** A record of module shop 2.0.0, as the runtimes of {@link #shop} say. */
    public record Order(String item, int quantity) {
    }

    /** A node's runtime that has {@link Order} as a record of shop 2.0.0, loaded (readable) once {@code loaded}. */
    static LocalNode shop(LocalNode d, AtomicBoolean loaded) {
        return new ClusterLoadTest.Delegating(d) {
            @Override
            public String[] moduleOf(Class<?> type) {
                return type == Order.class ? new String[] {"shop", "2.0.0"} : d.moduleOf(type);
            }

            @Override
            public ClassLoader loader(String module, String version) {
                return module.equals("shop") && version.equals("2.0.0") && loaded.get()
                        ? Order.class.getClassLoader() : d.loader(module, version);
            }
        };
    }

    /** A process that waits for {@code go}, then puts every message it receives on {@code q}. */
    static Pid heldCollector(Node n, CountDownLatch go, BlockingQueue<Object> q) {
        return n.kernel.spawn(new Next() {
            @Override
            public Next run() {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return null;
                }
                q.add(Hotcode.receive());
                return this;
            }
        }, false);
    }

    /** A process of {@code n} that sends {@code messages} to {@code to}, then ends. */
    static Pid sender(Node n, Pid to, Object... messages) {
        return n.kernel.spawn(() -> {
            for (Object m : messages) {
                n.kernel.send(to, m);
            }
            return null;
        }, false);
    }

    static DeadLetter only(Node n, String reason) {
        List<DeadLetter> ds = n.kernel.deadLetters().recent().stream()
                .filter(d -> String.valueOf(d.reason()).equals(reason)).toList();
        assertEquals("dead letters " + reason + " on node " + n.name + ": " + ds, 1, ds.size());
        return ds.get(0);
    }

    @Test
    public void aRecordThatArrivesBeforeItsVersionIsLoadedIsReadAtTheReceiveAfterTheLoad() throws Exception {
        AtomicBoolean bLoaded = new AtomicBoolean();
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, d -> shop(d, new AtomicBoolean(true)));
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, d -> shop(d, bLoaded));
        connected(a, b);
        CountDownLatch go = new CountDownLatch(1);
        BlockingQueue<Object> got = queue();
        Pid receiver = heldCollector(b, go, got);
        // a rolling update: a runs shop 2.0.0 and sends an order of it; b has not loaded 2.0.0 when the order arrives
        a.kernel.send(b.remote(receiver), new Order("tea", 2));
        await("the order in b's receiver's mailbox", () -> b.cluster.stats().delivered() == 1);
        assertEquals("nothing refused on arrival", 0, b.deadLetters("incompatible"));
        bLoaded.set(true); // b's update reaches shop 2.0.0
        go.countDown();
        assertEquals(new Order("tea", 2), next(got)); // decoded at the receive, with the version current then
        assertEquals(0, b.deadLetters("incompatible"));
    }

    @Test
    public void aValueTheReceiverCannotReadIsADeadLetterAtItsReceiveNamingTheSenderAndTheNextMessageIsReceived()
            throws Exception {
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, d -> shop(d, new AtomicBoolean(true)));
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, d -> shop(d, new AtomicBoolean()));
        connected(a, b);
        CountDownLatch go = new CountDownLatch(1);
        BlockingQueue<Object> got = queue();
        Pid receiver = heldCollector(b, go, got);
        Pid from = sender(a, b.remote(receiver), new Order("tea", 2), "next");
        await("both in b's receiver's mailbox", () -> b.cluster.stats().delivered() == 2);
        assertEquals("nothing refused before the receive", 0, b.deadLetters("incompatible"));
        go.countDown();
        assertEquals("next", next(got));
        DeadLetter d = only(b, "incompatible");
        assertEquals(receiver, d.to());
        assertEquals(a.remote(from), d.from());
        assertTrue(String.valueOf(d.message()), String.valueOf(d.message()).contains(Order.class.getName())
                && String.valueOf(d.message()).contains("shop 2.0.0"));
    }

    /** Guards where the value is decoded: before a selective receive's patterns look at it, not after. */
    @Test
    public void aSelectiveReceiveMatchesARemoteMessageByItsValueAndPassedOverOnesKeepTheirOrder() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        CountDownLatch go = new CountDownLatch(1);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.kernel.spawn(new Next() {
            @Override
            public Next run() {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return null;
                }
                got.add(Hotcode.receive(Tuple.of(Atom.of("pick"), Hotcode.ANY)));
                got.add(Hotcode.receive());
                got.add(Hotcode.receive());
                return null;
            }
        }, false);
        sender(a, b.remote(receiver), "first", "second", Tuple.of(Atom.of("pick"), 1));
        await("all three in b's receiver's mailbox", () -> b.cluster.stats().delivered() == 3);
        go.countDown();
        assertEquals(Tuple.of(Atom.of("pick"), 1), next(got));
        assertEquals("first", next(got));
        assertEquals("second", next(got));
    }

    @Test
    public void aDeadLetterNoprocOnTheReceivingNodeNamesTheRemoteSender() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid gone = b.kernel.spawn(() -> null, false);
        assertTrue(b.kernel.processes().awaitExit(gone, WAIT_MS));
        Pid from = sender(a, b.remote(gone), "hello?");
        await("dead letter noproc on b", () -> b.deadLetters("noproc") == 1);
        DeadLetter d = only(b, "noproc");
        assertEquals(a.remote(from), d.from());
        assertEquals("hello?", d.message()); // the value, not its encoded form
    }

    @Test
    public void aDeadLetterNoconnectionOnTheSendingNodeNamesTheSender() throws Exception {
        Node a = node("a");
        Pid from = sender(a, new RemotePid("nowhere", 42, 7, 5), "hello?");
        await("dead letter noconnection on a", () -> a.deadLetters("noconnection") == 1);
        assertEquals(from, only(a, "noconnection").from());
    }

    /**
     * A record class that this node cannot link or initialize (a missing dependency, a static initializer that fails
     * here) makes the class loader throw a {@link LinkageError}, an Error, not an exception: the value is refused as
     * any unreadable one is (a dead letter {@code incompatible}, the receive goes on), not thrown out of the receive,
     * which crashed the receiving process and lost the message uncounted (its node was already off the queue).
     */
    @Test
    public void aRecordWhoseClassCannotBeLinkedHereIsADeadLetterAndTheReceiveGoesOn() throws Exception {
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, d -> shop(d, new AtomicBoolean(true)));
        ClassLoader broken = new ClassLoader(null) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) {
                throw new NoClassDefFoundError(name + " (a class it needs is missing on this node)");
            }
        };
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false,
                d -> new ClusterLoadTest.Delegating(d) {
                    @Override
                    public ClassLoader loader(String module, String version) {
                        return module.equals("shop") ? broken : d.loader(module, version);
                    }
                });
        connected(a, b);
        CountDownLatch go = new CountDownLatch(1);
        BlockingQueue<Object> got = queue();
        Pid receiver = heldCollector(b, go, got);
        sender(a, b.remote(receiver), new Order("tea", 2), "next");
        await("both in b's receiver's mailbox", () -> b.cluster.stats().delivered() == 2);
        go.countDown();
        assertEquals("the receive after an unlinkable record", "next", next(got));
        DeadLetter d = only(b, "incompatible");
        assertEquals(receiver, d.to());
        assertTrue(String.valueOf(d.message()), String.valueOf(d.message()).contains(Order.class.getName()));
    }

    /** A message from another node still in the mailbox when its process exits: its dead letter names the sender too. */
    @Test
    public void aDeadLetterOfAProcessThatExitedWithARemoteMessageInItsMailboxNamesTheRemoteSender() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        CountDownLatch never = new CountDownLatch(1);
        Pid receiver = heldCollector(b, never, queue());
        Pid from = sender(a, b.remote(receiver), "unread");
        await("the message in b's receiver's mailbox", () -> b.cluster.stats().delivered() == 1);
        b.kernel.exit(receiver, Atom.of("kill"));
        await("dead letter killed on b", () -> b.deadLetters("killed") == 1);
        DeadLetter d = only(b, "killed");
        assertEquals("unread", d.message()); // the value, not its encoded form
        assertEquals(a.remote(from), d.from());
    }
}
