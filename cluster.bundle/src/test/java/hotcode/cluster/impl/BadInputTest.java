package hotcode.cluster.impl;

import hotcode.runtime.api.Pid;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** What a node refuses: strangers without the secret, other clusters, malformed frames, unknown incarnations. */
public class BadInputTest extends Nodes {

    @Test
    public void aNodeWithoutTheSecretCannotJoin() throws Exception {
        Node a = node("a");
        try {
            node("intruder", ClusterConfig.loopback(cluster, "intruder", "guess"), false);
            fail("joined without the secret");
        } catch (SecurityException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("authentication failed"));
        }
        assertTrue(a.cluster.nodes().isEmpty());
        assertEquals(1, a.cluster.channel().getView().size());
    }

    @Test
    public void aConfigurationWithoutSecretIsRefused() {
        try {
            ClusterConfig.from(java.util.Map.of("name", "shop", "node", "a"));
            fail("no secret accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("secret"));
        }
        assertNull("no cluster name: no cluster", ClusterConfig.from(java.util.Map.of("secret", "x")));
    }

    @Test
    public void aNodeOfAnotherClusterIsNotAMember() throws Exception {
        Node a = node("a");
        Node other = node("x", ClusterConfig.loopback(cluster + "-other", "x", SECRET), false);
        assertEquals(1, a.cluster.channel().getView().size()); // connect() returns once the join is decided
        assertEquals(1, other.cluster.channel().getView().size());
        assertTrue(a.cluster.nodes().isEmpty());
    }

    @Test
    public void malformedFramesAndFramesOfUnknownIncarnationsAreRefusedAndCounted() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> got = queue();
        Pid receiver = b.collector(got);
        Address toB = a.cluster.peer("b").address;
        a.cluster.channel().send(new BytesMessage(toB, new byte[] {1, 2, 3}));
        a.cluster.channel().send(new BytesMessage(toB, frame(Frames.MAGIC, (byte) 99, Frames.MSG, 0, 0)));
        await("two malformed on b", () -> b.cluster.stats().malformed() == 2);
        // a frame from a's address that claims another incarnation of a, and one addressed to another incarnation of b
        long aInc = a.cluster.incarnation(), bInc = b.cluster.incarnation();
        a.cluster.channel().send(new BytesMessage(toB, msg(aInc + 1, bInc, receiver.id())));
        a.cluster.channel().send(new BytesMessage(toB, msg(aInc, bInc + 1, receiver.id())));
        await("two refused on b", () -> b.cluster.stats().refused() == 2);
        // an unknown message type from the right incarnation
        a.cluster.channel().send(new BytesMessage(toB, frame(Frames.MAGIC, Frames.VERSION, (byte) 77, aInc, bInc)));
        await("three malformed on b", () -> b.cluster.stats().malformed() == 3);
        assertNull(got.poll(50, TimeUnit.MILLISECONDS));
        assertEquals(0, b.kernel.deadLetters().count());
        a.kernel.send(b.remote(receiver), "still fine");
        assertEquals("still fine", next(got));
    }

    @Test
    public void aNodeNameTakenByAnotherMemberIsRefused() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Node twin = node("b2", ClusterConfig.loopback(cluster, "b", SECRET), false); // calls itself b as well
        await("a saw the twin's hello refused", () -> a.cluster.stats().refused() >= 1);
        assertEquals(b.cluster.incarnation(), a.cluster.peer("b").incarnation);
        assertFalse(twin.cluster.nodes().contains("b"));
    }

    private static byte[] frame(byte magic, byte version, byte type, long srcInc, long dstInc) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(magic);
        out.writeByte(version);
        out.writeByte(type);
        out.writeLong(srcInc);
        out.writeLong(dstInc);
        out.writeLong(0);
        return bytes.toByteArray();
    }

    private static byte[] msg(long srcInc, long dstInc, long target) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(Frames.MAGIC);
        out.writeByte(Frames.VERSION);
        out.writeByte(Frames.MSG);
        out.writeLong(srcInc);
        out.writeLong(dstInc);
        out.writeLong(1);
        out.writeLong(1);
        out.writeLong(target);
        out.writeByte(Codec.STRING);
        out.writeInt(1);
        out.writeByte('x');
        return bytes.toByteArray();
    }
}
