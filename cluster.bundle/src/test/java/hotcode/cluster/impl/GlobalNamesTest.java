package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import org.junit.Test;

import java.util.List;
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
        b.cluster.globals.onAdd(add(b, "svc", svc, id(a, 1099)));
        assertNull("the name of an exited process of this node", b.kernel.whereisGlobal("svc"));
        await("still free on a", () -> a.kernel.whereisGlobal("svc") == null);
        assertTrue("free again", a.kernel.registerGlobal("svc", a.collector(queue())));
    }

    /**
     * A registration's frames come from three senders (the coordinator's announcement, the holder node's deletion, a
     * member's names for a newcomer), which JGroups orders per sender only: a node may get them in any order. Whatever
     * the order, a name stays with its process exactly while one of its registrations is not deleted.
     */
    @Test
    public void deletionsAndRegistrationsInAnyOrderLeaveTheNameWithItsLiveRegistration() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        GlobalNames onC = c.cluster.globals;
        Pid p = b.remote(b.collector(queue()));
        GlobalNames.RegistrationId r1 = id(a, 1001), r2 = id(a, 1002), r3 = id(a, 1003), r4 = id(a, 1004);

        onC.onDelete(del(c, "svc", p, r1)); // the deletion first (from b)
        onC.onAdd(add(c, "svc", p, r1)); // then its announcement (from a)
        assertNull("a deletion that came first", c.kernel.whereisGlobal("svc"));
        onC.onSync(sync(c, List.of(), "svc", p, r1)); // and the same registration in b's names for c
        assertNull("a deletion that came first", c.kernel.whereisGlobal("svc"));

        onC.onAdd(add(c, "svc", p, r2)); // p took the name again
        assertEquals(p, c.kernel.whereisGlobal("svc"));
        onC.onDelete(del(c, "svc", p, r2));
        assertNull("deleted in order", c.kernel.whereisGlobal("svc"));

        onC.onAdd(add(c, "svc", p, r3)); // p takes it again, and the deletion of that comes after the next one
        onC.onAdd(add(c, "svc", p, r4));
        onC.onDelete(del(c, "svc", p, r3));
        assertEquals("the later registration holds", p, c.kernel.whereisGlobal("svc"));
        onC.onDelete(del(c, "svc", p, r4));
        assertNull(c.kernel.whereisGlobal("svc"));

        GlobalNames.RegistrationId r7 = id(a, 1007), r8 = id(a, 1008);
        onC.onAdd(add(c, "svc", p, r8)); // the new registration's announcement first,
        onC.onSync(sync(c, List.of(), "svc", p, r7)); // then b's names for c, made before p gave r7 up,
        onC.onDelete(del(c, "svc", p, r7)); // then r7's deletion
        assertEquals("r8 holds", p, c.kernel.whereisGlobal("svc"));

        GlobalNames.RegistrationId r5 = id(a, 1005), r6 = id(a, 1006); // two deletions before both announcements
        onC.onDelete(del(c, "two", p, r5));
        onC.onDelete(del(c, "two", p, r6));
        onC.onAdd(add(c, "two", p, r5));
        onC.onAdd(add(c, "two", p, r6));
        assertNull("both deleted", c.kernel.whereisGlobal("two"));

        GlobalNames.RegistrationId r9 = id(a, 1009); // a member's names: the deletions it saw, then its names
        onC.onSync(sync(c, List.of(r9), "three", p, id(a, 1010)));
        onC.onSync(sync(c, List.of(), "three", p, r9)); // another member's names, made before r9 ended
        assertEquals("r9 ended, r10 holds", p, c.kernel.whereisGlobal("three"));
        onC.onDelete(del(c, "three", p, id(a, 1010)));
        assertNull(c.kernel.whereisGlobal("three"));
    }

    /**
     * A server restarted under its name: the old holder's deletion (from its node) may come after the new holder's
     * registration (from the coordinator). The coordinator says which registrations the new one comes after, so the
     * new holder is not mistaken for the loser of a partition's conflict, which it would be here (b sorts before c).
     */
    @Test
    public void aNewHolderAfterTheOldOneIsNotAConflictWhicheverDeletionComesFirst() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        BlockingQueue<Object> toQ = queue();
        Pid p = b.remote(b.collector(queue())), q = c.collector(toQ);
        GlobalNames.RegistrationId r1 = id(a, 1001), r2 = id(a, 1002);
        GlobalNames onC = c.cluster.globals;
        onC.onAdd(add(c, "svc", p, r1)); // p on b holds it
        onC.onAdd(add(c, "svc", q, r2, r1)); // q on c after p, whose deletion is still on its way
        assertEquals("the new holder", q, c.kernel.whereisGlobal("svc"));
        onC.onDelete(del(c, "svc", p, r1));
        assertEquals("the new holder", q, c.kernel.whereisGlobal("svc"));
        assertNull("no conflict", toQ.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    /**
     * A process that registers its name again gets a new registration, which ends its earlier ones: its unregistration
     * may reach the coordinator after the new request (a multicast and a unicast), and must not take the name then.
     */
    @Test
    public void registeringAgainMakesANewRegistrationThatOutlivesTheOldOnesDeletion() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid p = b.collector(queue());
        assertTrue(b.kernel.registerGlobal("svc", p));
        await("a sees svc", () -> a.cluster.globals.registrationsOf("svc").size() == 1);
        GlobalNames.RegistrationId first = a.cluster.globals.registrationsOf("svc").get(0);
        assertTrue(b.kernel.registerGlobal("svc", p)); // again: a decides a new one
        GlobalNames.RegistrationId second = a.cluster.globals.registrationsOf("svc").get(0);
        assertEquals("one registration, the new one", List.of(second), a.cluster.globals.registrationsOf("svc"));
        assertTrue(!first.equals(second));
        a.cluster.globals.onDelete(del(a, "svc", b.remote(p), first)); // the old one's deletion, late
        assertEquals("held by the new one", b.remote(p), a.kernel.whereisGlobal("svc"));
        await("b holds the new one only", () -> List.of(second).equals(b.cluster.globals.registrationsOf("svc")));
    }

    /**
     * The asker's node takes a registration from the coordinator's answer; the announcement may come after the
     * process gave the name up there. It must not give the name back to the (live) process on its own node only.
     */
    @Test
    public void aNameGivenUpIsNotTakenBackByItsLateAnnouncementOnTheHoldersNode() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid p = b.collector(queue());
        GlobalNames.RegistrationId r = id(a, 1001);
        b.cluster.globals.onAdd(add(b, "svc", p, r)); // as from the answer
        assertEquals(p, b.kernel.whereisGlobal("svc"));
        b.kernel.unregisterGlobal("svc");
        b.cluster.globals.onAdd(add(b, "svc", p, r)); // the announcement, late
        assertNull("given up", b.kernel.whereisGlobal("svc"));
    }

    /** A registration that comes after its process's node left the cluster is not taken: nobody would delete it. */
    @Test
    public void aRegistrationOfAProcessWhoseNodeLeftIsNotTaken() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        Pid p = b.remote(b.collector(queue()));
        assertTrue(b.kernel.registerGlobal("on-b", b.collector(queue())));
        await("c sees on-b", () -> c.kernel.whereisGlobal("on-b") != null);
        b.cluster.close();
        await("b's names gone on c", () -> c.kernel.whereisGlobal("on-b") == null); // and b is departed there
        c.cluster.globals.onAdd(add(c, "svc", p, id(a, 1001)));
        assertNull("its node left", c.kernel.whereisGlobal("svc"));
        Pid q = a.remote(a.collector(queue()));
        c.cluster.globals.onAdd(add(c, "svc", q, id(a, 1002)));
        assertEquals("a member's process", q, c.kernel.whereisGlobal("svc"));
    }

    /**
     * The coordinator puts into a new registration the registrations of its name it has seen end: a node that still
     * has the old holder (its deletion on the way) then takes the new one without a conflict, which it would otherwise
     * settle against the new holder here (b sorts before c).
     */
    @Test
    public void theCoordinatorSaysWhichRegistrationsANewOneComesAfter() throws Exception {
        Node a = node("a"), b = node("b"), c = node("c");
        connected(a, b, c);
        Pid p = b.remote(b.collector(queue()));
        GlobalNames.RegistrationId r1 = id(a, 1001);
        a.cluster.globals.onAdd(add(a, "svc", p, r1));
        c.cluster.globals.onAdd(add(c, "svc", p, r1));
        a.cluster.globals.onDelete(del(a, "svc", p, r1)); // p's deletion reached the coordinator, not c
        BlockingQueue<Object> toQ = queue();
        Pid q = c.collector(toQ);
        assertTrue("taken", c.kernel.registerGlobal("svc", q));
        assertEquals(q, c.kernel.whereisGlobal("svc"));
        await("a has q", () -> c.remote(q).equals(a.kernel.whereisGlobal("svc")));
        assertNull("no conflict", toQ.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    /** A name longer than 255 bytes is refused, naming the limit (it travels in every member's names). */
    @Test
    public void aTooLongNameIsRefused() throws Exception {
        Node a = node("a");
        connected(a);
        try {
            a.kernel.registerGlobal("n".repeat(256), a.collector(queue()));
            org.junit.Assert.fail("registered");
        } catch (hotcode.runtime.api.HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("longer than 255 bytes"));
        }
        assertTrue(a.kernel.registerGlobal("n".repeat(255), a.collector(queue())));
    }

    /** Registration number {@code n} decided by {@code coordinator}. */
    private static GlobalNames.RegistrationId id(Node coordinator, long n) {
        return new GlobalNames.RegistrationId(coordinator.cluster.incarnation(), n);
    }

    /** The body of a GADD frame, as {@code on} writes it. */
    private static java.io.DataInput add(Node on, String gname, Pid pid, GlobalNames.RegistrationId id,
                                         GlobalNames.RegistrationId... ends) throws java.io.IOException {
        return body(out -> new GlobalNames.Registration(gname, pid, id, List.of(ends)).write(out, on.cluster.refs));
    }

    /** The body of a GDEL frame. */
    private static java.io.DataInput del(Node on, String gname, Pid pid, GlobalNames.RegistrationId id)
            throws java.io.IOException {
        return body(out -> {
            out.writeUTF(gname);
            on.cluster.refs.writePid(out, pid);
            id.write(out);
        });
    }

    /** The body of a GSYNC frame: deletions of {@code gname}, then one name. */
    private static java.io.DataInput sync(Node on, List<GlobalNames.RegistrationId> ended, String gname, Pid pid,
                                          GlobalNames.RegistrationId id) throws java.io.IOException {
        return body(out -> {
            out.writeInt(ended.size());
            for (GlobalNames.RegistrationId e : ended) {
                out.writeUTF(gname);
                e.write(out);
            }
            out.writeInt(1);
            new GlobalNames.Registration(gname, pid, id, List.of()).write(out, on.cluster.refs);
        });
    }

    private static java.io.DataInput body(Frames.Body body) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        body.write(new java.io.DataOutputStream(bytes));
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
