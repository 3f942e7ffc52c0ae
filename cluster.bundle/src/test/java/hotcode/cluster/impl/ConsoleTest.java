package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.shell.HotcodeCommands;
import hotcode.runtime.impl.shell.Table;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The console across nodes (Erlang's {@code rpc:call} of the shell): {@code ps -n}, {@code modules -n}, and
 * {@code info}, {@code send}, {@code kill} of a pid {@code <N.id.0>}, asked of or sent to the other node over the
 * cluster; and the errors that name the node when it cannot be reached.
 */
public class ConsoleTest extends Nodes {

    static HotcodeCommands console(Kernel k) {
        return new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer(), k::transport);
    }

    /** The row of {@code ps} whose NAME is {@code name}. */
    static List<Object> row(Table ps, String name) {
        for (List<Object> r : ps.rows()) {
            if (name.equals(r.get(1))) {
                return r;
            }
        }
        throw new AssertionError("no process named " + name + " in\n" + ps);
    }

    @Test
    public void psOfAnotherNodeListsItsProcessesWithPidsThisNodeCanUse() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> q = queue();
        Pid worker = b.collector(q);
        b.kernel.register("worker", worker);

        Table ps = console(a.kernel).ps(true, "b");
        List<Object> r = row(ps, "worker");
        assertEquals("the pid is b's worker, as a names it", b.remote(worker), r.get(0));
        RemotePid seen = (RemotePid) r.get(0);
        assertEquals("<" + seen.index() + "." + worker.id() + ".0>", seen.toString());
        assertTrue(ps.toString(), ps.toString().contains(seen.toString()));
        assertFalse("a's own ps does not list b's worker", console(a.kernel).ps(true, "").toString().contains("worker"));
        assertTrue("ps -n of this node is its own ps", console(a.kernel).ps(true, "a").rows().size()
                == console(a.kernel).ps(true, "").rows().size());

        // the pid printed by ps -n is what info and send take
        Table info = console(a.kernel).info(seen.toString());
        assertEquals(List.of("pid", seen), info.rows().get(0));
        assertEquals(List.of("registered_name", "worker"), info.rows().get(1));

        Pid onA = a.collector(queue());
        String said = console(a.kernel).send(seen.toString(), "{ping, 1, " + onA + "}");
        assertTrue(said, said.contains("on node b"));
        Object got = next(q);
        assertTrue(String.valueOf(got), got instanceof Tuple t && t.get(0).equals(Atom.of("ping")) && t.get(1).equals(1L)
                && t.get(2).equals(a.remote(onA)));
    }

    @Test
    public void aPidOfAnotherNodeInsideAMessageIsThatNodesPid() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> qa = queue(), qb = queue();
        Pid onA = a.collector(qa);
        Pid onB = b.collector(qb);
        RemotePid bOnA = (RemotePid) row(console(a.kernel).ps(true, "b"), "-").get(0); // any of b's processes
        // a message sent from a's console that names a process of b: it arrives at b as b's own local pid
        console(a.kernel).send(onA.toString(), "{hello, <" + bOnA.index() + "." + onB.id() + ".0>}");
        Tuple t = (Tuple) next(qa);
        assertEquals(b.remote(onB), t.get(1));
        a.kernel.send((Pid) t.get(1), "via a");
        assertEquals("via a", next(qb));
    }

    @Test
    public void sendToAGlobalNameReachesItsNode() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> q = queue();
        Pid p = b.collector(q);
        assertTrue(b.cluster.registerGlobal("orders", p));
        await("a knows the global name", () -> a.cluster.whereisGlobal("orders") != null);
        String said = console(a.kernel).send("orders", "'new order'");
        assertTrue(said, said.contains("on node b"));
        assertEquals(Atom.of("new order"), next(q));
    }

    @Test
    public void killOfARemotePidSendsTheExitSignalThere() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid victim = b.collector(queue());
        RemotePid r = b.remote(victim);
        String pidText = "<" + indexOfB(a) + "." + victim.id() + ".0>";
        String said = console(a.kernel).kill(pidText, "boom");
        assertTrue(said, said.contains("boom") && said.contains("on node b"));
        assertTrue("b's process exits", b.kernel.processes().awaitExit(victim, WAIT_MS));
        assertEquals(Atom.of("boom"), b.kernel.processes().exitReason(victim));
        assertEquals(r.node(), "b");
    }

    @Test
    public void infoOfAnExitedRemoteProcessSaysSoNamingTheNode() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid gone = b.collector(queue());
        b.kernel.processes().exit(gone, Atom.of("kill"));
        assertTrue(b.kernel.processes().awaitExit(gone, WAIT_MS));
        HotcodeException e = assertThrows(HotcodeException.class,
                () -> console(a.kernel).info("<" + indexOfB(a) + "." + gone.id() + ".0>"));
        assertTrue(e.getMessage(), e.getMessage().contains("node b") && e.getMessage().contains("<0." + gone.id() + ".0>"));
    }

    @Test
    public void infoOfAPidOfAnEarlierIncarnationIsNeverAskedOfTheNewOne() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid old = b.collector(queue());
        String oldText = "<" + indexOfB(a) + "." + old.id() + ".0>";
        assertEquals(List.of("pid", b.remote(old)), console(a.kernel).info(oldText).rows().get(0));
        b.cluster.close();
        await("a sees b go", () -> !a.cluster.nodes().contains("b"));
        Node b2 = node("b"); // b restarted: a new incarnation, whose process numbers start again
        connected(a, b2);
        b2.collector(queue());
        HotcodeException e = assertThrows(HotcodeException.class, () -> console(a.kernel).info(oldText));
        assertTrue(e.getMessage(), e.getMessage().contains("earlier incarnation of node b"));
    }

    @Test
    public void modulesOfAnotherNodeIsItsTable() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Table t = console(a.kernel).modules("b");
        assertEquals(List.of("MODULE", "STATUS", "CURRENT", "PROCS", "OLD", "PROCS", "BUNDLE"), t.columns());
    }

    @Test
    public void aNodeThatIsNotConnectedIsNamedInTheError() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        int bIndex = indexOfB(a);
        HotcodeException e = assertThrows(HotcodeException.class, () -> console(a.kernel).ps(false, "zed"));
        assertTrue(e.getMessage(), e.getMessage().contains("node zed is not connected to node a"));
        b.cluster.close();
        await("a sees b go", () -> !a.cluster.nodes().contains("b"));
        e = assertThrows(HotcodeException.class, () -> console(a.kernel).modules("b"));
        assertTrue(e.getMessage(), e.getMessage().contains("node b is not connected"));
        // a send to b's old pid is accounted for: a dead letter noconnection, as Hotcode.send's
        console(a.kernel).send("<" + bIndex + ".1.0>", "late");
        assertEquals(1L, (long) counts(a).getOrDefault("noconnection", 0L));
        e = assertThrows(HotcodeException.class, () -> console(a.kernel).info("<" + (bIndex + 7) + ".1.0>"));
        assertTrue(e.getMessage(), e.getMessage().contains("no node has number " + (bIndex + 7) + " on node a"));
    }

    @Test
    public void withoutTheClusterARemotePidOrNodeIsAClearError() throws Exception {
        Kernel k = new Kernel(100);
        try {
            HotcodeCommands c = new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());
            for (org.junit.function.ThrowingRunnable r : List.<org.junit.function.ThrowingRunnable>of(
                    () -> c.ps(false, "b"), () -> c.modules("b"), () -> c.info("<1.5.0>"), () -> c.send("<1.5.0>", "x"),
                    () -> c.kill("<1.5.0>", "kill"))) {
                HotcodeException e = assertThrows(HotcodeException.class, r);
                assertTrue(e.getMessage(), e.getMessage().contains("no node of a cluster"));
                assertTrue(e.getMessage(), e.getMessage().contains("node b") || e.getMessage().contains("node number 1"));
            }
        } finally {
            k.processes().killAll(1000);
        }
    }

    /** The number a gave b (the N of b's pids printed on a). */
    private static int indexOfB(Node a) {
        for (ClusterNode.Member m : a.cluster.members()) {
            if (m.node().equals("b")) {
                return m.index();
            }
        }
        throw new AssertionError("a does not list b: " + a.cluster.members());
    }
}
