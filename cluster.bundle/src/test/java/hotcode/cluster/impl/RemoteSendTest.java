package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** Send between nodes: order per sender and receiver, exactly once, through loss; pids that travel in messages. */
public class RemoteSendTest extends Nodes {

    @Test
    public void messagesFromTwoNodesArriveInOrderPerSenderExactlyOnce() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        int n = 3000;
        for (Node sender : List.of(a, c)) {
            RemotePid to = b.remote(receiver);
            sender.kernel.spawn(() -> {
                for (int i = 0; i < n; i++) {
                    sender.kernel.send(to, Tuple.of(Atom.of(sender.name), i));
                }
                return null;
            }, false);
        }
        Map<String, Integer> last = new HashMap<>();
        for (int i = 0; i < 2 * n; i++) {
            Tuple t = (Tuple) next(got);
            String from = ((Atom) t.get(0)).name();
            int seq = (Integer) t.get(1);
            assertEquals("message from " + from + " out of order", last.getOrDefault(from, -1) + 1, seq);
            last.put(from, seq);
        }
        assertNull("a message delivered twice", got.poll(200, TimeUnit.MILLISECONDS));
        assertEquals(0L, b.kernel.deadLetters().count());
        await("acknowledged", () -> a.cluster.peer("b") != null && unacked(a, "b") == 0 && unacked(c, "b") == 0);
        assertEquals(2L * n, b.cluster.stats().delivered());
    }

    @Test
    public void twoNodesSendingHardToEachOtherBothGetEverythingInOrder() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        int n = 20_000;
        BlockingQueue<Object> onA = queue(), onB = queue();
        Pid ra = a.collector(onA), rb = b.collector(onB);
        for (Node[] pair : new Node[][] {{a, b}, {b, a}}) {
            Node from = pair[0];
            RemotePid to = pair[1] == a ? a.remote(ra) : b.remote(rb);
            from.kernel.spawn(() -> {
                for (int i = 0; i < n; i++) {
                    from.kernel.send(to, i);
                }
                return null;
            }, false);
        }
        for (BlockingQueue<Object> q : List.of(onA, onB)) {
            for (int i = 0; i < n; i++) {
                assertEquals(i, next(q));
            }
        }
        assertNull(onA.poll(100, TimeUnit.MILLISECONDS));
    }

    private static int unacked(Node n, String to) {
        Peer p = n.cluster.peer(to);
        synchronized (p) {
            return p.unacked.size();
        }
    }

    @Test
    public void aPidSentToAnotherNodeCanBeRepliedTo() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        // on b: an echo process replying {pong, Self} to the pid in {ping, From}
        Pid echo = b.kernel.spawn(new Next() {
            @Override
            public Next run() {
                Tuple t = (Tuple) Hotcode.receive();
                Pid from = (Pid) t.get(1);
                b.kernel.send(from, Tuple.of(Atom.of("pong"), b.kernel.node().self()));
                return this;
            }
        }, false);
        BlockingQueue<Object> got = queue();
        Pid collector = a.collector(got);
        a.kernel.send(b.remote(echo), Tuple.of(Atom.of("ping"), collector));
        Tuple pong = (Tuple) next(got);
        assertEquals(Atom.of("pong"), pong.get(0));
        Pid remoteEcho = (Pid) pong.get(1);
        assertTrue("a pid of b, decoded on a: " + remoteEcho, remoteEcho instanceof RemotePid);
        assertEquals(b.remote(echo), remoteEcho);
        assertEquals("b", remoteEcho.node());
        assertTrue("printed as a remote pid: " + remoteEcho, remoteEcho.toString().matches("<[1-9][0-9]*\\." + echo.id() + "\\.0>"));
    }

    @Test
    public void aFrameReceivedTwiceIsDeliveredOnce() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        a.kernel.send(b.remote(receiver), "one");
        assertEquals("one", next(got));
        // the same sequence number again (as a retransmission after a reconnect would bring it)
        Peer pb = a.cluster.peer("b");
        byte[] value = {Codec.STRING, 0, 0, 0, 3, 'o', 'n', 'e'};
        a.cluster.send(pb, a.cluster.msgFrame(pb, pb.epoch, 1, receiver.id(), value));
        a.kernel.send(b.remote(receiver), "two");
        assertEquals("two", next(got));
        assertNull(got.poll(200, TimeUnit.MILLISECONDS));
        assertEquals(1, b.cluster.stats().duplicates());
    }

    @Test
    public void aFrameOfAnEndedSessionIsNeverDelivered() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        a.kernel.send(b.remote(receiver), "first session");
        assertEquals("first session", next(got));
        Peer pb = a.cluster.peer("b");
        long ended = pb.epoch;
        // a new session (as after a partition heals), then a late retransmission of the first session's message 1
        byte[] value = {Codec.STRING, 0, 0, 0, 4, 'l', 'a', 't', 'e'};
        a.cluster.send(pb, a.cluster.msgFrame(pb, ended + 1, 1, receiver.id(), value));
        assertEquals("late", next(got)); // the new session's message 1
        a.cluster.send(pb, a.cluster.msgFrame(pb, ended, 2, receiver.id(), value));
        await("refused on b", () -> b.cluster.stats().refused() == 1);
        a.cluster.send(pb, a.cluster.msgFrame(pb, ended + 1, 2, receiver.id(), value));
        assertEquals("late", next(got));
        assertNull(got.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    public void messagesArriveInOrderThroughLoss() throws Exception {
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), true);
        Node b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        a.cluster.discard().setDownDiscardRate(0.2); // a fifth of a's frames are lost and retransmitted by UNICAST3
        int n = 500;
        for (int i = 0; i < n; i++) {
            a.kernel.send(b.remote(receiver), i);
        }
        List<Object> in = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            in.add(next(got));
        }
        for (int i = 0; i < n; i++) {
            assertEquals(i, in.get(i));
        }
        assertNull(got.poll(200, TimeUnit.MILLISECONDS));
        a.cluster.discard().setDownDiscardRate(0);
    }
}
