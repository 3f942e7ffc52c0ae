package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.Kernel;

/**
 * A node in a JVM of its own, for {@link MultiJvmTest}: a kernel, a cluster node over TCP on 127.0.0.1, and an echo
 * process registered globally as {@code echo-<node>} that answers {@code {From, Msg}} with {@code {echo, Node, Msg}}.
 * Prints {@code READY} when the echo is registered; runs until its standard input closes (or it is killed).
 * Arguments: cluster, node, port, hosts, and {@code storm} to take part in {@link MultiJvmTest}'s storm ({@link Storm}).
 */
public final class NodeMain {
    public static void main(String[] args) throws Exception {
        String cluster = args[0], node = args[1], hosts = args[3];
        int port = Integer.parseInt(args[2]);
        Kernel k = new Kernel(2000);
        boolean storm = args.length > 4 && args[4].equals("storm");
        ClusterNode n = ClusterNode.start(storm ? Storm.node(k.node()) : k.node(),
                new ClusterConfig(cluster, node, Nodes.SECRET, "127.0.0.1", port, hosts, "tcp", 3000));
        Pid echo = k.spawn(new Next() {
            @Override
            public Next run() {
                Tuple t = (Tuple) Hotcode.receive();
                k.send((Pid) t.get(0), Tuple.of(Atom.of("echo"), node, t.get(1)));
                return this;
            }
        }, false);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!n.registerGlobal("echo-" + node, echo)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("echo-" + node + " stays taken");
            }
            Thread.sleep(50); // taken by this node's previous incarnation until the cluster sees it gone
        }
        if (storm) {
            Kernel.install(k); // the storm's receivers are GenServers, its senders use Global.send
            Storm.start(k, n, node);
        }
        System.out.println("READY " + n.incarnation());
        System.out.flush();
        while (System.in.read() >= 0) {
            // runs until the test closes our input
        }
        n.close();
        System.exit(0);
    }
}
