package hotcode.cluster.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertNotNull;

/**
 * Remote messaging throughput, two nodes over JGroups TCP on 127.0.0.1 (in one JVM, each with its own kernel): one-way
 * messages/s and ping-pong round trips/s. Not a unit test (surefire does not pick it up by name): run it with
 * {@code mvn -pl cluster.bundle -am test -Dtest=ClusterBench -Dsurefire.failIfNoSpecifiedTests=false}; the Erlang side
 * is bench/erlang/dist.escript. Sizes: -Dbench.oneway=N -Dbench.pingpong=N.
 */
public class ClusterBench extends Nodes {

    private ClusterConfig tcp(String node, int port) {
        return new ClusterConfig(cluster, node, SECRET, "127.0.0.1", port, "127.0.0.1[7960],127.0.0.1[7961]", "tcp", 6000);
    }

    @Test
    public void remoteMessaging() throws Exception {
        int oneway = Integer.getInteger("bench.oneway", 1_000_000);
        int rounds = Integer.getInteger("bench.pingpong", 50_000);
        Node a = node("a", tcp("a", 7960), false), b = node("b", tcp("b", 7961), false);
        connected(a, b);
        // warm-up, then measure
        for (int run = 0; run < 2; run++) {
            int n = run == 0 ? oneway / 10 : oneway;
            BlockingQueue<Object> done = queue();
            Pid sink = b.kernel.spawn(sink(n, done), false);
            RemotePid to = b.remote(sink);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                a.kernel.send(to, Tuple.of("msg", i));
            }
            assertNotNull(done.poll(300, TimeUnit.SECONDS));
            double s = (System.nanoTime() - t0) / 1e9;
            if (run == 1) {
                System.out.printf("hotcode remote one-way: %d messages in %.3f s = %.0f msg/s%n", n, s, n / s);
            }
        }
        for (int run = 0; run < 2; run++) {
            int n = run == 0 ? rounds / 10 : rounds;
            Pid echo = b.kernel.spawn(new Next() {
                @Override
                public Next run() {
                    Tuple t = (Tuple) Hotcode.receive();
                    b.kernel.send((Pid) t.get(0), t.get(1));
                    return this;
                }
            }, false);
            RemotePid to = b.remote(echo);
            BlockingQueue<Object> done = queue();
            long t0 = System.nanoTime();
            a.kernel.spawn(() -> {
                Pid self = a.kernel.node().self();
                for (int i = 0; i < n; i++) {
                    a.kernel.send(to, Tuple.of(self, i));
                    Hotcode.receive();
                }
                done.add("done");
                return null;
            }, false);
            assertNotNull(done.poll(300, TimeUnit.SECONDS));
            double s = (System.nanoTime() - t0) / 1e9;
            if (run == 1) {
                System.out.printf("hotcode remote ping-pong: %d round trips in %.3f s = %.0f round trips/s%n", n, s, n / s);
            }
        }
        System.out.println("hotcode stats a: " + a.cluster.stats() + "; b: " + b.cluster.stats());
    }

    private static Next sink(int n, BlockingQueue<Object> done) {
        return new Next() {
            int left = n;

            @Override
            public Next run() {
                Hotcode.receive();
                if (--left == 0) {
                    done.add("done");
                    return null;
                }
                return this;
            }
        };
    }
}
