package hotcode.cluster.impl;

import hotcode.runtime.spi.node.LocalNode;
import org.junit.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.Assert.assertTrue;

/** {@code hotcode:nodes}: every member with its incarnation and the module versions it runs now. */
public class NodesCommandTest extends Nodes {

    @Test
    public void nodesListsEveryMemberWithTheModulesItRunsNow() throws Exception {
        Map<String, String> bModules = new ConcurrentHashMap<>(Map.of("shop", "1.0.0"));
        Node a = node("a");
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false,
                real -> new ClusterLoadTest.Delegating(real) {
                    @Override
                    public Map<String, String> moduleVersions() {
                        return new java.util.TreeMap<>(bModules);
                    }
                });
        connected(a, b);
        NodesCommand nodes = new NodesCommand(() -> a.cluster);
        String out = nodes.nodes();
        assertTrue(out, out.contains("a (this)") && out.contains(String.valueOf(b.cluster.incarnation()))
                && out.contains("shop 1.0.0"));
        bModules.put("shop", "2.0.0"); // b updates shop: a sees it within a few seconds
        await("a sees shop 2.0.0 on b", () -> nodes.nodes().contains("shop 2.0.0"));
        String none = new NodesCommand(() -> null).nodes();
        assertTrue(none, none.contains("in no cluster"));
    }

    @Test
    public void aNodeWithAnotherVersionOfAModuleIsNamedInTheLog() throws Exception {
        java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("hotcode.cluster");
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(h);
        try {
            Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, modules(Map.of("shop", "2.0.0")));
            Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, modules(Map.of("shop", "1.0.0")));
            connected(a, b);
            await("a names b's older shop", () -> lines.stream().anyMatch(l -> l.startsWith("node a: node b runs other"
                    + " versions: shop 1.0.0 there, 2.0.0 here")));
        } finally {
            jul.removeHandler(h);
        }
    }

    private static java.util.function.UnaryOperator<LocalNode> modules(Map<String, String> mods) {
        return real -> new ClusterLoadTest.Delegating(real) {
            @Override
            public Map<String, String> moduleVersions() {
                return mods;
            }
        };
    }
}
