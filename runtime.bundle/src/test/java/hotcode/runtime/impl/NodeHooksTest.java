package hotcode.runtime.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Global;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.RemotePid;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * A runtime without the cluster bundle is the single node {@code nonode@nohost}: a pid of another node is not
 * connected (dead letter, exit signal and DOWN {@code noconnection}), local pids are untouched.
 */
public class NodeHooksTest extends KernelTest {
    private static final Atom NOCONNECTION = Atom.of("noconnection");
    private final RemotePid remote = new RemotePid("b@host", 7, 3, 1);

    @Test
    public void aloneTheRuntimeIsNonodeAndLocalPidsNameIt() {
        assertEquals("nonode@nohost", Hotcode.node());
        assertEquals(List.of(), Hotcode.nodes());
        Agent a = Agent.spawn();
        assertEquals("nonode@nohost", a.pid().node());
        assertEquals("<0." + a.pid().id() + ".0>", a.pid().toString());
        assertEquals("<1.3.0>", remote.toString());
        assertEquals("b@host", remote.node());
        assertEquals(remote, new RemotePid("b@host", 7, 3, 9)); // the index is this node's numbering only
    }

    @Test
    public void aSendToAPidOfAnotherNodeIsADeadLetterNoconnection() {
        Hotcode.send(remote, "hello");
        assertEquals(Long.valueOf(1), k.deadLetters().countsByReason().get("noconnection"));
        assertEquals(remote, k.deadLetters().recent().get(0).to());
        try {
            Hotcode.send(remote, null);
            fail("null sent");
        } catch (HotcodeException expected) {
            assertTrue(expected.getMessage().contains("null is not a message"));
        }
    }

    @Test
    public void aLinkOrMonitorOfAPidOfAnotherNodeFiresNoconnectionAtOnce() throws Exception {
        Agent a = Agent.spawn();
        Object got = a.call(() -> {
            Hotcode.trapExit(true);
            Hotcode.link(remote);
            Object exit = Hotcode.receive();
            Ref ref = Hotcode.monitor(remote);
            Object down = Hotcode.receive();
            Hotcode.monitorNode("b@host", true);
            Object nodedown = Hotcode.receive();
            return List.of(exit, down, ref, nodedown);
        });
        List<?> l = (List<?>) got;
        assertEquals(Tuple.of(Hotcode.EXIT, remote, NOCONNECTION), l.get(0));
        assertEquals(Tuple.of(Hotcode.DOWN, l.get(2), Atom.of("process"), remote, NOCONNECTION), l.get(1));
        assertEquals(Tuple.of(Atom.of("nodedown"), "b@host"), l.get(3));
    }

    @Test
    public void globalNamesNeedTheClusterAndIsAliveIsLocalOnly() {
        assertNull(Global.whereis("x"));
        try {
            Global.register("x", Agent.spawn().pid());
            fail("registered without a cluster");
        } catch (HotcodeException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("in no cluster"));
        }
        try {
            Hotcode.isAlive(remote);
            fail("isAlive of a remote pid");
        } catch (HotcodeException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("b@host"));
        }
    }

    @Test
    public void aPidOfThisRuntimeSentToByNumberAfterItExitedIsNoproc() throws Exception {
        Agent a = Agent.spawn();
        Pid p = a.pid();
        a.exitWith(Hotcode.NORMAL);
        a.awaitTerminated();
        assertNull(k.node().pid(p.id()));
        k.node().send(p.id(), "late");
        assertEquals(Long.valueOf(1), k.deadLetters().countsByReason().get("noproc"));
    }
}
