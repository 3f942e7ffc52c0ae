package hotcode.runtime.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.NodeRow;
import hotcode.runtime.spi.Observation.Outcome;
import hotcode.runtime.spi.Observation.ProcessReport;
import hotcode.runtime.spi.ProcessQuery;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.RemotePid;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * The observer's view of other nodes ({@link Observation#nodes}, {@code query/process/kill} of a node): two kernels in
 * one JVM, "a@h" (the test's, installed) and "b@h", joined by a transport whose {@code call} is answered by the other
 * kernel's {@code LocalNode.serve}, as the cluster bundle relays it. Every answer must be of the neutral form (JDK
 * types only), as the cluster's codec carries nothing else.
 */
public class NodeObservationTest extends KernelTest {
    private static final long T = 2000;
    private Kernel b;
    private volatile boolean bConnected = true;
    /** B is a member but does not answer (its JVM stopped, say). */
    private volatile boolean bSilent;
    /** What the transport says B last announced (a transport that knows, as the cluster's), or null. */
    private volatile Map<String, String> announced;
    private final List<String> asked = new ArrayList<>();

    @Before
    public void twoNodes() {
        b = new Kernel(2000);
        b.node().attach(transport("b@h", null, -1));
        k.node().attach(transport("a@h", b, 1));
    }

    @After
    public void stopB() throws InterruptedException {
        b.processes().killAll(1000);
    }

    /** Node {@code self}; with {@code other}, that kernel is node b@h, numbered {@code index} here. */
    private NodeTransport transport(String self, Kernel other, int index) {
        return (NodeTransport) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {NodeTransport.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "node" -> self;
                    case "nodes" -> other != null && bConnected ? List.of("b@h") : List.of();
                    case "pid" -> other != null && (int) args[0] == index
                            ? new RemotePid("b@h", 77, (long) args[1], index) : null;
                    case "connected" -> bConnected;
                    case "nodeInfo" -> announced == null
                            ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args)
                            : List.of(new NodeTransport.NodeInfo(0, self, 5, "A-1", true, true, Map.of()),
                                    new NodeTransport.NodeInfo(1, "b@h", 77, "B-2", false, bConnected, announced));
                    case "call" -> {
                        String node = (String) args[0];
                        synchronized (asked) {
                            asked.add(args[1] + "@" + node);
                        }
                        if (bSilent && node.equals("b@h")) {
                            throw new HotcodeException(args[1] + ": node b@h did not answer within " + args[3] + " ms");
                        }
                        if (other == null || !node.equals("b@h") || !bConnected) {
                            throw new HotcodeException(args[1] + ": node " + node + " is not connected to node " + self);
                        }
                        @SuppressWarnings("unchecked") List<Object> a = (List<Object>) args[2];
                        assertNeutral(a);
                        Object answer = other.node().serve((String) args[1], a);
                        assertNeutral(answer);
                        yield answer;
                    }
                    case "toString" -> "transport of " + self;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> {
                        if (!m.isDefault()) {
                            throw new UnsupportedOperationException(m.getName());
                        }
                        yield java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args); // nodeInfo
                    }
                });
    }

    /** What the cluster's codec can carry between nodes: JDK values, lists and maps of them. */
    private static void assertNeutral(Object v) {
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
            return;
        }
        if (v instanceof List<?> l) {
            l.forEach(NodeObservationTest::assertNeutral);
        } else if (v instanceof Map<?, ?> m) {
            m.forEach((x, y) -> {
                assertNeutral(x);
                assertNeutral(y);
            });
        } else {
            fail("not of the neutral form between nodes: " + v.getClass().getName() + " " + v);
        }
    }

    private Observation obs() {
        return k.observation();
    }

    /** A process of node b that waits forever, with {@code messages} in its mailbox. */
    private Pid parkedOnB(int messages) {
        Pid p = b.spawn(() -> {
            Hotcode.receive(Atom.of("never"));
            return null;
        }, false);
        for (int i = 0; i < messages; i++) {
            b.send(p, "q" + i);
        }
        return p;
    }

    @Test
    public void theNodesAreListedWithEachOnesModules() {
        Modules.load(b, "m", Mod.class, "1.0.0");
        List<NodeRow> rows = obs().nodes(T);
        assertEquals("a@h", obs().node());
        assertEquals(2, rows.size());
        NodeRow a = rows.get(0);
        assertTrue(a.self() && a.connected() && a.index() == 0 && a.node().equals("a@h"));
        assertEquals(Map.of(), a.modules());
        NodeRow rb = rows.get(1);
        assertEquals(List.of(1, "b@h", 77L, false, true), List.of(rb.index(), rb.node(), rb.incarnation(), rb.self(),
                rb.connected()));
        assertEquals(Map.of("m", "1.0.0"), rb.modules());
        assertNull(rb.problem());
    }

    @Test
    public void aNodeThatDoesNotAnswerIsNamedWithWhatItLastAnnounced() {
        Modules.load(b, "m", Mod.class, "1.0.0");
        announced = Map.of("m", "0.9.0");
        NodeRow rb = obs().nodes(T).get(1);
        assertEquals("asked although announced: it answers now", Map.of("m", "1.0.0"), rb.modules());
        assertEquals("B-2", rb.address());
        assertNull(rb.problem());
        bSilent = true;
        rb = obs().nodes(T).get(1);
        assertEquals(Map.of("m", "0.9.0"), rb.modules());
        assertEquals("observer.versions: node b@h did not answer within " + T + " ms", rb.problem());
        announced = null;
        rb = obs().nodes(T).get(1);
        assertNull(rb.modules());
        assertTrue(rb.problem(), rb.problem().contains("b@h did not answer"));
    }

    @Test
    public void aRemoteTableIsFilteredSortedAndPagedOnThatNode() {
        for (int i = 0; i < 30; i++) {
            parkedOnB(i % 7);
        }
        Agentless.awaitMailboxes(b, 30);
        ProcessQuery q = new ProcessQuery(Map.of("mailbox", "3"), "mailbox", true, 0, 5);
        ProcessQuery.Result r = obs().query("b@h", q, T);
        assertEquals("b's processes, none of a's", 30, r.total());
        assertEquals("mailboxes of at least 3 (3 to 6 of 0 to 6, in turn)", 16, r.matched());
        assertEquals(5, r.rows().size());
        assertEquals(4, r.pages());
        assertEquals(6, r.rows().get(0).mailbox());
        assertEquals("waiting", r.rows().get(0).status());
        assertTrue(asked.contains("observer.processes@b@h"));
        assertEquals("this node's own name answers here", obs().processes(10).size(),
                obs().query("a@h", q, T).total());
    }

    @Test
    public void aRemoteProcessIsShownAsTextAndKilledThere() throws Exception {
        Pid p = parkedOnB(3);
        Agentless.awaitMailboxes(b, 1);
        ProcessReport r = obs().process("b@h", p.id(), 2, 300, T);
        assertNull(r.gone());
        assertEquals("b@h", r.node());
        assertEquals(p.id(), r.row().id());
        assertEquals("the first two, oldest first, as terms", List.of("\"q0\"", "\"q1\""), r.messages());
        assertEquals(3, r.row().mailbox());

        Outcome o = obs().kill("b@h", p.id(), T);
        assertTrue(o.message(), o.ok());
        assertTrue(o.message(), o.message().contains("on node b@h"));
        long deadline = System.currentTimeMillis() + 5000;
        while (b.isAlive(p) && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        assertFalse("killed on b", b.isAlive(p));
        Outcome again = obs().kill("b@h", p.id(), T);
        assertFalse(again.ok());
        assertEquals("process <0." + p.id() + ".0> has exited on node b@h", again.message());
        assertEquals(again.message(), obs().process("b@h", p.id(), 2, 300, T).gone());
        assertTrue(obs().process("b@h", 999_999, 2, 300, T).gone().contains("has not spawned it"));
    }

    @Test
    public void aNodeNotConnectedIsNamedAndTheOthersAreListedAllTheSame() {
        bConnected = false;
        HotcodeException e = assertThrows(HotcodeException.class,
                () -> obs().query("b@h", new ProcessQuery(Map.of(), null, false, 0, 50), T));
        assertTrue(e.getMessage(), e.getMessage().contains("node b@h is not connected"));
        e = assertThrows(HotcodeException.class, () -> obs().process("nosuch@h", 1, 2, 300, T));
        assertTrue(e.getMessage(), e.getMessage().contains("node nosuch@h"));
        List<NodeRow> rows = obs().nodes(T);
        assertEquals(2, rows.size());
        assertFalse(rows.get(1).connected());
        assertNull(rows.get(1).modules());
        assertTrue(rows.get(1).problem(), rows.get(1).problem().contains("b@h is not connected"));
    }

    @Test
    public void aloneTheRuntimeIsNonodeAndHasNoOtherNode() {
        k.node().detach(k.transport());
        assertEquals("nonode@nohost", obs().node());
        assertEquals(List.of(), obs().nodes(T));
        HotcodeException e = assertThrows(HotcodeException.class, () -> obs().kill("b@h", 1, T));
        assertTrue(e.getMessage(), e.getMessage().contains("node b@h is not connected: this runtime is no node of a"
                + " cluster (nonode@nohost"));
        assertNotNull("its own processes are still there", obs().query("nonode@nohost",
                new ProcessQuery(Map.of(), null, false, 0, 50), T));
    }

    @Test
    public void aNodeAnswersNoOtherRequestAndRefusesBadArguments() {
        HotcodeException e = assertThrows(HotcodeException.class, () -> b.node().serve("observer.eval", List.of()));
        assertTrue(e.getMessage(), e.getMessage().contains("not observer.eval"));
        e = assertThrows(HotcodeException.class, () -> b.node().serve("observer.kill", List.of("x")));
        assertTrue(e.getMessage(), e.getMessage().contains("a process number was expected, not x"));
    }

    /** Waits (bounded) until {@code n} processes of a kernel have their messages, so counts are settled. */
    private static final class Agentless {
        static void awaitMailboxes(Kernel kernel, int n) {
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline) {
                long waiting = kernel.observation().processes(100).stream()
                        .filter(r -> "waiting".equals(r.status())).count();
                if (waiting >= n) {
                    return;
                }
                Thread.onSpinWait();
            }
            fail("the processes of node b did not all wait within 5 s");
        }
    }
}
