package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import org.junit.Test;

import java.util.concurrent.BlockingQueue;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

/** Global names: one holder per name in the cluster, seen by every node, gone with their process or node. */
public class GlobalNamesTest extends Nodes {

    @Test
    public void aNameRegisteredOnOneNodeIsSeenAndUsedOnEveryNode() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        BlockingQueue<Object> got = queue();
        Pid svc = b.collector(got); // on b, which is not the coordinator: the registration goes to a
        assertTrue(b.kernel.registerGlobal("svc", svc));
        await("a and c see svc", () -> b.remote(svc).equals(a.kernel.whereisGlobal("svc"))
                && b.remote(svc).equals(c.kernel.whereisGlobal("svc")));
        assertEquals(svc, b.kernel.whereisGlobal("svc")); // on its own node, the local pid
        c.kernel.send(c.kernel.whereisGlobal("svc"), "from c");
        assertEquals("from c", next(got));
        Pid other = c.collector(queue());
        assertFalse("taken", c.kernel.registerGlobal("svc", other));
        assertFalse("taken", a.kernel.registerGlobal("svc", a.collector(queue())));
    }

    @Test
    public void aNameGoesWithItsProcess() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        nameGoneWithItsProcess(a, b);
        assertTrue("free again", a.kernel.registerGlobal("svc", a.collector(queue())));
    }

    /** A process of b holds "svc" (a sees it) and exits; returns its pid once the name is gone on a and b. */
    private Pid nameGoneWithItsProcess(Node a, Node b) throws Exception {
        Pid svc = b.kernel.spawn(() -> {
            hotcode.runtime.api.Hotcode.receive();
            return null;
        }, false);
        assertTrue(b.kernel.registerGlobal("svc", svc));
        await("a sees svc", () -> a.kernel.whereisGlobal("svc") != null);
        b.kernel.send(svc, "stop");
        await("svc gone on a and b", () -> a.kernel.whereisGlobal("svc") == null && b.kernel.whereisGlobal("svc") == null);
        return svc;
    }

    /**
     * The coordinator announces a registration to every member (GADD, a multicast) and answers the asker (a unicast,
     * which may come first): the asker's process can exit, and its name go, before the announcement reaches the
     * asker's node. The late announcement must not bring the name back there, held by a process that is gone (no one
     * would ever remove it: it once failed {@link #aNameGoesWithItsProcess} that way, in a loaded CI run).
     */
    @Test
    public void aLateAnnouncementDoesNotGiveANameBackToAnExitedProcess() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid svc = nameGoneWithItsProcess(a, b);
        b.cluster.globals.onAdd(frame(b, "svc", svc));
        assertNull("the name of an exited process of this node", b.kernel.whereisGlobal("svc"));
        await("still free on a", () -> a.kernel.whereisGlobal("svc") == null);
        assertTrue("free again", a.kernel.registerGlobal("svc", a.collector(queue())));
    }

    /**
     * The announcement (from the coordinator) and the deletion (from the holder's node) are multicasts from two nodes,
     * ordered per sender only: a third node may get the deletion first. It must not then keep the name on the process
     * that gave it up; and a later announcement of the same name and process (it took the name again) counts.
     */
    @Test
    public void aDeletionThatOvertookItsAnnouncementCancelsIt() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        Pid svc = b.remote(b.collector(queue()));
        c.cluster.globals.onDelete(frame(c, "svc", svc)); // from b
        c.cluster.globals.onAdd(frame(c, "svc", svc)); // from a, late
        assertNull("cancelled by the deletion that came first", c.kernel.whereisGlobal("svc"));
        c.cluster.globals.onAdd(frame(c, "svc", svc)); // the process took the name again
        assertEquals("a new announcement", svc, c.kernel.whereisGlobal("svc"));
        c.cluster.globals.onDelete(frame(c, "svc", svc)); // in order this time: nothing kept
        c.cluster.globals.onAdd(frame(c, "svc", svc));
        assertEquals("a deletion that found the name cancels nothing later", svc, c.kernel.whereisGlobal("svc"));
    }

    /** The body of a GADD or GDEL frame naming {@code gname} and {@code pid}, as {@code on} writes it. */
    private static java.io.DataInput frame(Node on, String gname, Pid pid) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.writeUTF(gname);
        on.cluster.refs.writePid(out, pid);
        return new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()));
    }

    @Test
    public void aNameGoesWithItsNodeAndANewNodeLearnsTheNames() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        assertTrue(a.kernel.registerGlobal("on-a", a.collector(queue())));
        assertTrue(b.kernel.registerGlobal("on-b", b.collector(queue())));
        Node c = node("c");
        connected(a, b, c);
        await("c learns both names", () -> c.kernel.whereisGlobal("on-a") != null && c.kernel.whereisGlobal("on-b") != null);
        b.cluster.close();
        await("on-b gone on a and c", () -> a.kernel.whereisGlobal("on-b") == null && c.kernel.whereisGlobal("on-b") == null);
        assertEquals("a's name stays", a.remote(a.kernel.whereisGlobal("on-a")), c.kernel.whereisGlobal("on-a"));
    }

    @Test
    public void afterAPartitionHealsTheNameStaysWithTheFirstNodeByNameAndTheLoserIsTold() throws Exception {
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), true);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), true);
        connected(a, b);
        a.cluster.discard().discardAll(true);
        b.cluster.discard().discardAll(true);
        await("partitioned", () -> a.cluster.nodes().isEmpty() && b.cluster.nodes().isEmpty());
        BlockingQueue<Object> onA = queue(), onB = queue();
        Pid pa = a.collector(onA), pb = b.collector(onB);
        assertTrue(a.kernel.registerGlobal("svc", pa)); // each half is its own coordinator now
        assertTrue(b.kernel.registerGlobal("svc", pb));
        a.cluster.discard().discardAll(false);
        b.cluster.discard().discardAll(false);
        connected(a, b); // MERGE3 heals the partition
        await("both agree on a's", () -> pa.equals(a.kernel.whereisGlobal("svc"))
                && a.remote(pa).equals(b.kernel.whereisGlobal("svc")));
        assertEquals(Tuple.of(Atom.of("global_name_conflict"), "svc", a.remote(pa)), next(onB));
        assertNull(onA.poll());
    }
}
