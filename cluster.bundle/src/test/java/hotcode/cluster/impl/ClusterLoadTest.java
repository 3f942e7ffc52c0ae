package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.api.Ref;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.ReleaseBarrier;
import org.junit.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The coordinated load's protocol: every node prepares, votes, waits at the barrier; all commit or all roll back.
 * A kernel without OSGi cannot install releases, so each node's installation is a stand-in that records what the
 * release transaction would do (prepare, then commit or roll back as the barrier says); the transaction itself is
 * ReleaseInstaller's, tested in itest.
 */
public class ClusterLoadTest extends Nodes {

    /** What one node's stand-in installation did, in order. */
    static final class Releases implements java.util.function.UnaryOperator<LocalNode> {
        final List<String> log = new CopyOnWriteArrayList<>();
        final String failPrepare;

        Releases(String failPrepare) {
            this.failPrepare = failPrepare;
        }

        @Override
        public LocalNode apply(LocalNode real) {
            return new Delegating(real) {
                @Override
                public ReleaseResult installRelease(String url, ReleaseBarrier barrier) {
                    if (failPrepare != null) {
                        log.add("failed");
                        throw new HotcodeException("release rel 2: module shop: codeChange failed: " + failPrepare);
                    }
                    log.add("prepared");
                    String no = barrier.prepared("rel 2");
                    if (no != null) {
                        log.add("rolled back");
                        throw new HotcodeException("release rel 2 rolled back: " + no);
                    }
                    log.add("committed");
                    return new ReleaseResult(null, true, "release rel 2 installed");
                }

                /** A module's load: CodeServerImpl.upgrade asks the barrier the same way (LoadBarrierTest). */
                @Override
                public hotcode.runtime.api.VersionInfo load(String module, String url, ReleaseBarrier barrier) {
                    if (failPrepare != null) {
                        log.add("failed");
                        throw new hotcode.runtime.api.MigrationException(module + ": upgrade 1.0.0 -> 2.0.0 rolled"
                                + " back; all 3 server(s) stay on " + module + " 1.0.0. Cause: codeChange failed: "
                                + failPrepare, null, null);
                    }
                    log.add("prepared " + module + " from " + url);
                    String no = barrier.prepared(module + " 2.0.0");
                    if (no != null) {
                        log.add("rolled back");
                        throw new HotcodeException(module + " 2.0.0 was prepared here, but the cluster aborted its"
                                + " load: " + no);
                    }
                    log.add("committed");
                    return new hotcode.runtime.api.VersionInfo(module, 2, "2.0.0", 7, url, 3);
                }
            };
        }
    }

    @Test
    public void whenEveryNodePreparesAllCommit() throws Exception {
        Releases ra = new Releases(null), rb = new Releases(null), rc = new Releases(null);
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, ra);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, rb);
        Node c = node("c", ClusterConfig.loopback(cluster, "c", SECRET), false, rc);
        connected(a, b, c);
        String report = b.cluster.clusterLoad("file:rel-2.release");
        assertTrue(report, report.contains("committed on every node"));
        for (Releases r : List.of(ra, rb, rc)) {
            assertEquals(List.of("prepared", "committed"), r.log);
        }
    }

    @Test
    public void whenOneNodeCannotPrepareAllRollBackAndTheReportNamesIt() throws Exception {
        Releases ra = new Releases(null), rb = new Releases(null), rc = new Releases("state of shop 1.0.0 unreadable");
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, ra);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, rb);
        Node c = node("c", ClusterConfig.loopback(cluster, "c", SECRET), false, rc);
        connected(a, b, c);
        String report = a.cluster.clusterLoad("file:rel-2.release");
        assertTrue(report, report.contains("aborted on every node: node c: release rel 2: module shop: codeChange"
                + " failed: state of shop 1.0.0 unreadable"));
        assertEquals(List.of("prepared", "rolled back"), ra.log);
        assertEquals(List.of("prepared", "rolled back"), rb.log);
        assertEquals(List.of("failed"), rc.log);
    }

    @Test
    public void aModuleLoadedOnEveryNodeCommitsEverywhere() throws Exception {
        Releases ra = new Releases(null), rb = new Releases(null), rc = new Releases(null);
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, ra);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, rb);
        Node c = node("c", ClusterConfig.loopback(cluster, "c", SECRET), false, rc);
        connected(a, b, c);
        String report = new NodesCommand(() -> b.cluster).cluster("load", "shop", "file:shop-2.jar");
        assertTrue(report, report.contains("cluster load shop file:shop-2.jar on [a, b, c]: committed on every node"));
        for (Releases r : List.of(ra, rb, rc)) {
            assertEquals(List.of("prepared shop from file:shop-2.jar", "committed"), r.log);
        }
    }

    @Test
    public void aModuleWhoseCodeChangeFailsOnOneNodeStaysOldOnEveryNode() throws Exception {
        Releases ra = new Releases(null), rb = new Releases(null), rc = new Releases("state of shop 1.0.0 unreadable");
        Node a = node("a", ClusterConfig.loopback(cluster, "a", SECRET), false, ra);
        Node b = node("b", ClusterConfig.loopback(cluster, "b", SECRET), false, rb);
        Node c = node("c", ClusterConfig.loopback(cluster, "c", SECRET), false, rc);
        connected(a, b, c);
        String report = a.cluster.clusterLoad("shop", "file:shop-2.jar");
        assertTrue(report, report.contains("aborted on every node: node c: shop: upgrade 1.0.0 -> 2.0.0 rolled back"));
        assertTrue(report, report.contains("codeChange failed: state of shop 1.0.0 unreadable"));
        assertTrue(report, report.contains("a: shop 2.0.0 was prepared here, but the cluster aborted its load"));
        assertEquals(List.of("prepared shop from file:shop-2.jar", "rolled back"), ra.log);
        assertEquals(List.of("prepared shop from file:shop-2.jar", "rolled back"), rb.log);
        assertEquals(List.of("failed"), rc.log);
    }

    /** Passes everything to the kernel's port. */
    static class Delegating implements LocalNode {
        final LocalNode d;

        Delegating(LocalNode d) {
            this.d = d;
        }

        public void attach(NodeTransport t) {
            d.attach(t);
        }

        public void detach(NodeTransport t) {
            d.detach(t);
        }

        public Pid spawn(Next body) {
            return d.spawn(body);
        }

        public void send(Pid local, Object message) {
            d.send(local, message);
        }

        public Ref monitor(Pid target) {
            return d.monitor(target);
        }

        public void demonitor(Ref ref) {
            d.demonitor(ref);
        }

        public Pid pid(long id) {
            return d.pid(id);
        }

        public void send(long id, Object message) {
            d.send(id, message);
        }

        public void exitSignal(Pid local, Pid from, Object reason, boolean link) {
            d.exitSignal(local, from, reason, link);
        }

        public void deadLetter(Pid to, Object message, Atom reason) {
            d.deadLetter(to, message, reason);
        }

        public void deadLetter(Pid to, Object message, Atom reason, Pid from) {
            d.deadLetter(to, message, reason, from);
        }

        public Pid self() {
            return d.self();
        }

        public String[] moduleOf(Class<?> type) {
            return d.moduleOf(type);
        }

        public ClassLoader loader(String module, String version) {
            return d.loader(module, version);
        }

        public Map<String, String> moduleVersions() {
            return d.moduleVersions();
        }

        public ReleaseResult installRelease(String url, ReleaseBarrier barrier) {
            return d.installRelease(url, barrier);
        }

        public Map<String, Long> deadLettersByReason() {
            return d.deadLettersByReason();
        }

        public hotcode.runtime.api.VersionInfo load(String module, String url, ReleaseBarrier barrier) {
            return d.load(module, url, barrier);
        }

        public Object serve(String request, List<Object> args) {
            return d.serve(request, args);
        }
    }
}
