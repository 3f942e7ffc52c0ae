package hotcode.cluster.impl;

import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG2;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TCP_NIO2;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A node's configuration: the cluster it joins, its name, the shared secret, where it listens and whom it asks first.
 * Read from ConfigAdmin PID {@code hotcode.cluster} or, without ConfigAdmin, from framework properties of the same
 * names prefixed {@code hotcode.cluster.} (so {@code -Dhotcode.cluster.name=shop} works for the console):
 * <ul>
 * <li>{@code name}: the cluster's name (required: without it the bundle stays idle, a single node);</li>
 * <li>{@code node}: this node's name, unique in the cluster (default {@code hotcode@<host>:<port>});</li>
 * <li>{@code secret}: the shared secret (required: a node without the cluster's secret cannot join);</li>
 * <li>{@code bind}: the address to listen on (default the loopback address: a cluster across machines must say so);</li>
 * <li>{@code port}: the first TCP port to try (default 7800; the next 20 are tried too);</li>
 * <li>{@code hosts}: where to look for members, {@code host[port],host[port]} (default the bind address, ports
 *     port..port+20);</li>
 * <li>{@code transport}: {@code tcp} (default) or {@code shared-loopback} (every node in this JVM: tests).</li>
 * </ul>
 */
public record ClusterConfig(String cluster, String node, String secret, String bind, int port, String hosts,
                            String transport, long failureTimeoutMillis) {
    static final String PID = "hotcode.cluster";
    static final int PORT_RANGE = 20;

    public ClusterConfig {
        if (cluster == null || cluster.isBlank()) {
            throw new IllegalArgumentException("hotcode.cluster: the cluster name (name) is missing");
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("hotcode.cluster " + cluster + ": the shared secret (secret) is missing:"
                    + " a node without the cluster's secret cannot join");
        }
        if (node == null || node.isBlank()) {
            throw new IllegalArgumentException("hotcode.cluster " + cluster + ": the node name (node) is missing");
        }
    }

    /** A node of an in-JVM cluster (JGroups' SHARED_LOOPBACK): for tests. */
    public static ClusterConfig loopback(String cluster, String node, String secret) {
        return new ClusterConfig(cluster, node, secret, null, 0, null, "shared-loopback", 3000);
    }

    /** The configuration in {@code props} (keys without prefix), or null when it names no cluster. */
    static ClusterConfig from(Function<String, Object> props) {
        Object name = props.apply("name");
        if (name == null || name.toString().isBlank()) {
            return null;
        }
        String bind = str(props.apply("bind"), InetAddress.getLoopbackAddress().getHostAddress());
        int port = Integer.parseInt(str(props.apply("port"), "7800"));
        String node = str(props.apply("node"), "hotcode@" + bind + ":" + port);
        return new ClusterConfig(name.toString(), node, str(props.apply("secret"), null), bind, port,
                str(props.apply("hosts"), null), str(props.apply("transport"), "tcp"),
                Long.parseLong(str(props.apply("failureTimeoutMillis"), "6000")));
    }

    static ClusterConfig from(Dictionary<String, ?> d) {
        return from(d::get);
    }

    static ClusterConfig from(Map<String, ?> m) {
        return from(m::get);
    }

    private static String str(Object o, String dflt) {
        return o == null || o.toString().isBlank() ? dflt : o.toString().trim();
    }

    boolean sharedLoopback() {
        return "shared-loopback".equals(transport);
    }

    /**
     * The JGroups stack, bottom first, built in code (no XML to find on a class path): the transport, discovery,
     * merge after a partition, failure detection, reliable multicast and unicast (FIFO per sender), AUTH with the
     * shared secret, membership, flow control and fragmentation. {@code discard}, when not null, sits just above the
     * transport (tests inject loss and partitions with it).
     */
    List<Protocol> stack(DISCARD discard) throws UnknownHostException {
        List<Protocol> ps = new ArrayList<>();
        if (sharedLoopback()) {
            ps.add(new SHARED_LOOPBACK());
            ps.add(new SHARED_LOOPBACK_PING());
        } else {
            InetAddress addr = InetAddress.getByName(bind);
            // Latency of a remote send is thread wake-ups more than CPU (issue 15, docs/BENCHMARKS.md "Nodes"):
            // no Nagle delay for a small frame, and regular messages delivered on the reader thread ("direct")
            // instead of handed to a pool thread, one wake-up less per hop. The reader stays a virtual thread
            // (JGroups' default): the process it delivers to is then unparked onto its own carrier's queue, not
            // through the scheduler's external queue with a carrier woken from a platform thread (a same-run A/B
            // against platform readers: one-way higher in 6 of 6 runs). ClusterNode.receive never blocks (what it
            // sends is queued and flushed on another thread), so the reader keeps reading.
            // TCP_NIO2 and no bundler (docs/BENCHMARKS.md "i15-pingpong": ping-pong and one-way higher in most
            // rounds of a same-run A/B): the sending thread writes its message to the socket itself, with no
            // hand-off to a bundler thread (ClusterNode already sends a pair's queued frames as one message). With
            // TCP's blocking writes that was unsafe: two readers writing (acknowledgements) to each other over full
            // socket buffers would deadlock. TCP_NIO2's writes never block: what the socket does not take is kept
            // (up to max_send_buffers) and written by the selector thread when there is room, beyond that dropped
            // and retransmitted by UNICAST3. Its one selector thread reads every connection and delivers (direct).
            TCP_NIO2 tcp = new TCP_NIO2().setBindAddress(addr).setBindPort(port).setPortRange(PORT_RANGE);
            tcp.setBundlerType("no-bundler");
            tcp.tcpNodelay(true);
            tcp.useVirtualThreads(true);
            tcp.setMessageProcessingPolicy("direct");
            ps.add(tcp);
            ps.add(new TCPPING().setInitialHosts(initialHosts(addr)).setPortRange(PORT_RANGE));
        }
        if (discard != null) {
            ps.add(discard);
        }
        ps.add(new MERGE3().setMinInterval(1000).setMaxInterval(3000).setCheckInterval(5000));
        if (!sharedLoopback()) {
            // its own server socket: on the same address as the transport (by default it listens on every interface)
            ps.add(new FD_SOCK2().setBindAddress(InetAddress.getByName(bind)));
        }
        ps.add(new FD_ALL3().setTimeout(failureTimeoutMillis).setInterval(Math.max(200, failureTimeoutMillis / 4)));
        ps.add(new VERIFY_SUSPECT2().setTimeout(Math.max(200, failureTimeoutMillis / 4)));
        ps.add(new NAKACK2());
        ps.add(new UNICAST3());
        ps.add(new STABLE());
        AUTH auth = new AUTH();
        HmacToken token = new HmacToken(cluster, secret);
        auth.setAuthToken(token);
        token.setAuth(auth); // setAuthToken does not: the token needs AUTH for this member's address
        ps.add(auth);
        ps.add(new GMS().setJoinTimeout(1000));
        ps.add(new UFC());
        ps.add(new MFC());
        ps.add(new FRAG2());
        return ps;
    }

    private List<InetSocketAddress> initialHosts(InetAddress bindAddr) {
        List<InetSocketAddress> out = new ArrayList<>();
        if (hosts == null) {
            out.add(new InetSocketAddress(bindAddr, port));
            return out;
        }
        for (String h : hosts.split(",")) {
            h = h.trim();
            int b = h.indexOf('[');
            String host = b < 0 ? h : h.substring(0, b);
            int p = b < 0 ? port : Integer.parseInt(h.substring(b + 1, h.indexOf(']')));
            out.add(new InetSocketAddress(host, p));
        }
        return out;
    }

    @Override
    public String toString() { // never the secret
        return "cluster " + cluster + ", node " + node + ", transport " + transport
                + (sharedLoopback() ? "" : ", bind " + bind + ":" + port + (hosts == null ? "" : ", hosts " + hosts));
    }
}
