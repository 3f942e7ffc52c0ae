package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.concurrent.BlockingQueue;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** Links and monitors across nodes, and what a node going down fires. */
public class LinkMonitorTest extends Nodes {
    static final Atom BOOM = Atom.of("boom");
    static final Atom NOCONNECTION = Atom.of("noconnection");

    /** A process on {@code n} that exits with the reason it receives. */
    static Pid exitsOnMessage(Node n) {
        return n.kernel.spawn(() -> {
            Object reason = Hotcode.receive();
            Hotcode.exit(reason);
            return null;
        }, false);
    }

    /** A process on {@code n} that traps exits, links to {@code other}, reports "linked", then reports every message. */
    static Pid linker(Node n, Pid other, BlockingQueue<Object> q, boolean trap) {
        return n.kernel.spawn(() -> {
            Hotcode.trapExit(trap);
            n.kernel.link(other);
            q.add("linked");
            return new Next() {
                @Override
                public Next run() {
                    q.add(Hotcode.receive());
                    return this;
                }
            };
        }, false);
    }

    @Test
    public void aRemoteLinkedProcessExitingSendsItsReason() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid r = exitsOnMessage(b);
        RemotePid remote = b.remote(r);
        BlockingQueue<Object> q = queue();
        linker(a, remote, q, true);
        assertEquals("linked", next(q));
        a.kernel.send(remote, BOOM);
        assertEquals(Tuple.of(Hotcode.EXIT, remote, BOOM), next(q));
    }

    @Test
    public void anUntrappedRemoteExitEndsTheLinkedProcess() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid r = exitsOnMessage(b);
        BlockingQueue<Object> q = queue();
        Pid p = linker(a, b.remote(r), q, false);
        assertEquals("linked", next(q));
        a.kernel.send(b.remote(r), BOOM);
        assertTrue(a.kernel.processes().awaitExit(p, WAIT_MS));
        assertEquals(BOOM, a.kernel.processes().exitReason(p));
    }

    @Test
    public void aLocalProcessExitingReachesItsRemoteLink() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid r = exitsOnMessage(a); // the process that exits is on a, the trapping one on b
        BlockingQueue<Object> q = queue();
        linker(b, a.remote(r), q, true);
        assertEquals("linked", next(q));
        await("a has the link", () -> linkCount(a) == 1); // a link across nodes is set up asynchronously, as in Erlang
        a.kernel.send(r, BOOM);
        assertEquals(Tuple.of(Hotcode.EXIT, a.remote(r), BOOM), next(q));
    }

    @Test
    public void monitorsGetDownWithTheReasonOrNoproc() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid r = exitsOnMessage(b);
        Pid dead = b.kernel.spawn(() -> null, false);
        assertTrue(b.kernel.processes().awaitExit(dead, WAIT_MS));
        BlockingQueue<Object> q = queue();
        a.kernel.spawn(() -> {
            q.add(a.kernel.monitor(b.remote(r)));
            q.add(a.kernel.monitor(b.remote(dead)));
            return new Next() {
                @Override
                public Next run() {
                    q.add(Hotcode.receive());
                    return this;
                }
            };
        }, false);
        Ref live = (Ref) next(q);
        Ref gone = (Ref) next(q);
        assertEquals(Tuple.of(Hotcode.DOWN, gone, Atom.of("process"), b.remote(dead), Hotcode.NOPROC), next(q));
        a.kernel.send(b.remote(r), BOOM);
        assertEquals(Tuple.of(Hotcode.DOWN, live, Atom.of("process"), b.remote(r), BOOM), next(q));
    }

    @Test
    public void aNodeGoingDownFiresNoconnectionForLinksMonitorsAndNodeMonitors() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        Pid r = b.collector(queue());
        RemotePid remote = b.remote(r);
        BlockingQueue<Object> q = queue();
        a.kernel.spawn(() -> {
            Hotcode.trapExit(true);
            a.kernel.link(remote);
            q.add(a.kernel.monitor(remote));
            a.kernel.monitorNode("b", true);
            a.kernel.monitorNode("nowhere", true); // not connected: at once
            return new Next() {
                @Override
                public Next run() {
                    q.add(Hotcode.receive());
                    return this;
                }
            };
        }, false);
        Ref ref = (Ref) next(q);
        assertEquals(Tuple.of(Atom.of("nodedown"), "nowhere"), next(q));
        await("b has the link", () -> b.cluster != null && linkCount(b) == 1);
        b.cluster.close();
        java.util.Set<Object> got = new java.util.HashSet<>();
        for (int i = 0; i < 3; i++) {
            got.add(next(q));
        }
        assertEquals(java.util.Set.of(
                Tuple.of(Hotcode.EXIT, remote, NOCONNECTION),
                Tuple.of(Hotcode.DOWN, ref, Atom.of("process"), remote, NOCONNECTION),
                Tuple.of(Atom.of("nodedown"), "b")), got);
    }

    private static int linkCount(Node n) {
        return n.cluster.links.linkCount();
    }
}
