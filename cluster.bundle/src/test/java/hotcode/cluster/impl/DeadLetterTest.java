package hotcode.cluster.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** Every message sent to another node is delivered or a dead letter with its reason, or counted in doubt. */
public class DeadLetterTest extends Nodes {

    @Test
    public void aMessageToAnExitedRemoteProcessIsADeadLetterNoprocThere() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid gone = b.kernel.spawn(() -> null, false);
        assertTrue(b.kernel.processes().awaitExit(gone, WAIT_MS));
        a.kernel.send(b.remote(gone), "hello?");
        await("dead letter noproc on b", () -> b.deadLetters("noproc") == 1);
        assertEquals(0, a.kernel.deadLetters().count());
    }

    @Test
    public void aMessageToANodeNotInTheClusterIsADeadLetterNoconnection() throws Exception {
        Node a = node("a");
        a.kernel.send(new RemotePid("nowhere", 42, 7, 5), "hello?");
        assertEquals(1, a.deadLetters("noconnection"));
    }

    @Test
    public void aMessageToAnOldIncarnationOfANodeIsADeadLetterNoconnection() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        RemotePid stale = new RemotePid("b", b.cluster.incarnation() + 1, receiver.id(), 5);
        a.kernel.send(stale, "for the previous b");
        assertEquals(1, a.deadLetters("noconnection"));
        assertNull(got.poll(100, TimeUnit.MILLISECONDS));
    }

    record NotAModuleRecord(int x) {
    }

    @Test
    public void aValueWithoutNeutralFormIsADeadLetterIncompatibleAtTheSender() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        a.kernel.send(b.remote(receiver), new Object());
        a.kernel.send(b.remote(receiver), new NotAModuleRecord(1)); // a record of no module: no Java serialization
        a.kernel.send(b.remote(receiver), Tuple.of("wrapped", new StringBuilder("x")));
        assertEquals(3, a.deadLetters("incompatible"));
        a.kernel.send(b.remote(receiver), "fine");
        assertEquals("fine", next(got));
    }

    @Test
    public void aRecordOfAModuleVersionTheReceiverHasNotLoadedIsADeadLetterIncompatibleThere() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(Codec.RECORD);
        out.writeUTF("shop");
        out.writeUTF("2.0.0");
        out.writeUTF("shop.Order");
        out.writeInt(0);
        a.cluster.sendValue(a.cluster.peer("b"), b.remote(receiver), "an order of shop 2.0.0", bytes.toByteArray());
        await("dead letter incompatible on b", () -> b.deadLetters("incompatible") == 1);
        String letter = String.valueOf(b.kernel.deadLetters().recent().get(0).message());
        assertTrue(letter, letter.contains("shop.Order") && letter.contains("shop 2.0.0"));
        a.kernel.send(b.remote(receiver), "next");
        assertEquals("next", next(got)); // the pair's order goes on
    }

    @Test
    public void messagesToANodeThatGoesBeforeAcknowledgingAreInDoubt() throws Exception {
        Node a = node("a");
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), true);
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        b.cluster.discard().discardAll(true); // b is cut off: nothing reaches it, nothing leaves it
        for (int i = 0; i < 10; i++) {
            a.kernel.send(b.remote(receiver), i);
        }
        await("b excluded from a's view", () -> !a.cluster.nodes().contains("b"));
        assertEquals(10, a.cluster.stats().inDoubt());
        assertEquals(10, a.cluster.recentInDoubt().size());
        assertNull(got.poll(0, TimeUnit.MILLISECONDS));
        a.kernel.send(b.remote(receiver), "after"); // b is no longer connected
        assertEquals(1, a.deadLetters("noconnection"));
        // the partition heals (MERGE3): a new session between a and b, numbered anew, nothing taken for a duplicate
        b.cluster.discard().discardAll(false);
        connected(a, b);
        for (int i = 0; i < 5; i++) {
            a.kernel.send(b.remote(receiver), "healed " + i);
        }
        for (int i = 0; i < 5; i++) {
            assertEquals("healed " + i, next(got));
        }
        assertEquals(0, b.cluster.stats().duplicates());
    }

    /**
     * A sender waiting for room in a full queue (4 MB queued while a flush is busy) when the member goes: its message
     * is a dead letter noconnection, not queued into the gone member's session where nothing accounts for it.
     */
    @Test
    public void aMessageWhoseSenderWaitedForRoomWhileItsNodeWentIsADeadLetterNoconnection() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Peer pb = a.cluster.peer("b");
        synchronized (pb) {
            pb.flushing = true; // as if a flush were busy: what is queued stays queued
        }
        a.cluster.send(pb, new byte[5 << 20]); // a frame, not a message: fills the queue past 4 MB without waiting
        RemotePid to = b.remote(b.collector(queue()));
        Thread sender = new Thread(() -> a.cluster.send(to, "late"), "sender");
        sender.start();
        await("the sender waits for room", () -> sender.getState() == Thread.State.TIMED_WAITING);
        a.cluster.nodeDown(pb, "the test says so");
        sender.join(WAIT_MS);
        assertEquals(1, a.deadLetters("noconnection"));
        assertEquals(0, a.cluster.stats().inDoubt());
    }

    static Object receive() {
        return Hotcode.receive();
    }
}
