package hotcode.cluster.impl;

import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;

/**
 * A value is encoded straight into the pair's batch under the pair's lock (Sessions.sendMessage), and encoding a
 * record calls its accessors: module code. An accessor that itself sends to the same node re-entered the (reentrant)
 * lock and wrote its frame into the middle of the one under way, with the same sequence number: the batch was
 * malformed at the receiver and the messages in it lost (counted in doubt only if the node went down later).
 */
public class ReentrantEncodeTest extends Nodes {
    static volatile Runnable inside;
    static final AtomicBoolean sentInside = new AtomicBoolean();

    /** A module record whose accessor sends a message (to the same node) the first time it is read. */
    public record Chatty(String item) {
        @Override
        public String item() {
            if (inside != null && sentInside.compareAndSet(false, true)) {
                inside.run();
            }
            return item;
        }
    }

    static hotcode.runtime.spi.node.LocalNode shop(hotcode.runtime.spi.node.LocalNode d) {
        return new ClusterLoadTest.Delegating(d) {
            @Override
            public String[] moduleOf(Class<?> type) {
                return type == Chatty.class ? new String[] {"shop", "2.0.0"} : d.moduleOf(type);
            }

            @Override
            public ClassLoader loader(String module, String version) {
                return module.equals("shop") ? Chatty.class.getClassLoader() : d.loader(module, version);
            }
        };
    }

    @Test
    public void aRecordWhoseAccessorSendsToTheSameNodeDoesNotCorruptTheBatch() throws Exception {
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, ReentrantEncodeTest::shop);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, ReentrantEncodeTest::shop);
        connected(a, b);
        CountDownLatch go = new CountDownLatch(0); // receives at once
        BlockingQueue<Object> got = queue();
        Pid receiver = DecodeAtReceiveTest.heldCollector(b, go, got);
        RemotePid to = b.remote(receiver);
        inside = () -> a.kernel.send(to, "inner");
        DecodeAtReceiveTest.sender(a, b.remote(receiver), new Chatty("tea"), "after");
        List<Object> all = List.of(next(got), next(got), next(got));
        assertEquals(Set.of("inner", new Chatty("tea")), Set.copyOf(all.subList(0, 2))); // sent while both were
        assertEquals("sent after both returned", "after", all.get(2));
        assertEquals("malformed on b", 0, b.cluster.stats().malformed());
    }
}
