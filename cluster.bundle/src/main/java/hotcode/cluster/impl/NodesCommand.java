package hotcode.cluster.impl;

import java.util.Map;
import java.util.function.Supplier;

/** {@code hotcode:nodes}: this node and the members of its cluster, with their incarnations and module versions. */
public final class NodesCommand {
    private final Supplier<ClusterNode> node;

    NodesCommand(Supplier<ClusterNode> node) {
        this.node = node;
    }

    /** Lists the nodes: number (the N of a pid {@code <N.id.0>}), name, incarnation, address, modules. */
    public String nodes() {
        ClusterNode n = node.get();
        if (n == null) {
            return "this node is in no cluster (configure hotcode.cluster: name, node, secret)";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("cluster ").append(n.config().cluster()).append('\n');
        sb.append(String.format("%-4s %-24s %-20s %-24s %s%n", "N", "NODE", "INCARNATION", "ADDRESS", "MODULES"));
        for (ClusterNode.Member m : n.members()) {
            sb.append(String.format("%-4s %-24s %-20s %-24s %s%n", m.index(), m.node() + (m.self() ? " (this)" : ""),
                    m.incarnation(), m.address(), modules(m.modules())));
        }
        ClusterNode.Stats s = n.stats();
        sb.append("messages: sent ").append(s.sent()).append(", delivered here ").append(s.delivered())
                .append(", duplicates dropped ").append(s.duplicates()).append(", in doubt ").append(s.inDoubt())
                .append(", frames refused ").append(s.refused()).append(", malformed ").append(s.malformed());
        return sb.toString();
    }

    /**
     * {@code hotcode:cluster load <release file or URL>}: installs the release on every node, all or nothing (every
     * node prepares, then all commit or all roll back); says which node failed and why.
     */
    public String cluster(String action, String url) throws InterruptedException {
        ClusterNode n = node.get();
        if (n == null) {
            return "this node is in no cluster (configure hotcode.cluster: name, node, secret)";
        }
        if (!"load".equals(action)) {
            return "usage: hotcode:cluster load <release file or URL> (every node prepares it, then all commit or"
                    + " all roll back)";
        }
        return n.clusterLoad(url);
    }

    /**
     * {@code hotcode:cluster load <module> <url>}: loads that version of the module on every node, all or nothing
     * (every node prepares it, then all commit or all roll back); says which node failed and why.
     */
    public String cluster(String action, String module, String url) throws InterruptedException {
        ClusterNode n = node.get();
        if (n == null) {
            return "this node is in no cluster (configure hotcode.cluster: name, node, secret)";
        }
        if (!"load".equals(action)) {
            return "usage: hotcode:cluster load <module> <jar URL> (every node prepares the new version, then all"
                    + " commit or all roll back)";
        }
        return n.clusterLoad(module, url);
    }

    private static String modules(Map<String, String> mods) {
        if (mods.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        mods.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        return sb.toString();
    }
}
