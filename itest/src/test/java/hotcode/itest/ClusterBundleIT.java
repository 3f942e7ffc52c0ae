package hotcode.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import hotcode.runtime.api.Global;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * The cluster bundle in the real Felix: JGroups embedded in it loads its protocol classes, XML maps and our AUTH
 * token through the bundle's class loader, the node joins (as the only member) a cluster over TCP on loopback, the
 * runtime reports the node's name, and a global name works; {@code hotcode:cluster load} installs a release through
 * the release transaction with the cluster's barrier (a cluster of one node here: the protocol between nodes is
 * ClusterLoadTest's), committing it, and rolling it back when a codeChange fails.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ClusterBundleIT {
    private static final String NODE = "it-node";

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options(frameworkProperty("hotcode.migration.timeout.ms").value("5000"),
                frameworkProperty("hotcode.cluster.name").value("itest-" + ProcessHandle.current().pid()),
                frameworkProperty("hotcode.cluster.node").value(NODE),
                frameworkProperty("hotcode.cluster.secret").value("it-secret"),
                frameworkProperty("hotcode.cluster.port").value("7850"),
                bundle(HotcodeOptions.fileUrl("cluster.bundle/target/hotcode.cluster.jar")).start());
    }

    @Test
    public void theNodeJoinsItsClusterInsideFelix() throws Exception {
        BundleContext context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Bundle cluster = null;
        for (Bundle b : context.getBundles()) {
            if ("hotcode.cluster".equals(b.getSymbolicName())) {
                cluster = b;
            }
        }
        assertEquals("hotcode.cluster state", Bundle.ACTIVE, cluster.getState());
        long deadline = System.currentTimeMillis() + 30_000;
        while (!NODE.equals(Hotcode.node()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20); // the node joins on a thread of its own (discovery takes a moment)
        }
        assertEquals("the runtime's node name once joined", NODE, Hotcode.node());
        assertEquals(List.of(), Hotcode.nodes());
        Pid p = Hotcode.spawn(() -> {
            Hotcode.receive();
            return null;
        });
        assertEquals(NODE, p.node());
        assertTrue(Global.register("it-service", p));
        assertEquals(p, Global.whereis("it-service"));
        Hotcode.send(p, "stop");
    }

    private static TestModules.Spec counter(String version, String codeSet) {
        return TestModules.module("hotcode.itest.cload", version).module("cload", ServerUpgradeIT.ENTRY)
                .classes("counter-entry", codeSet);
    }

    private static String release(String version, String codeSet) throws Exception {
        Path dir = Files.createTempDirectory("cluster-release");
        Files.write(dir.resolve("c.jar"), counter(version, codeSet).bytes());
        Path file = dir.resolve("c.release");
        Files.writeString(file, "release: capp " + version + "\nmodule hotcode.itest.cload c.jar\n",
                StandardCharsets.UTF_8);
        return file.toString();
    }

    /** Runs {@code hotcode:cluster load <url>} through the command service, as the console does. */
    private static String clusterLoad(String url) throws Exception {
        BundleContext context = Itest.context();
        ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.function=cluster)");
        Object command = context.getService(refs[0]);
        Method m = command.getClass().getMethod("cluster", String.class, String.class);
        return (String) m.invoke(command, "load", url);
    }

    private static String currentVersion() {
        return Hotcode.codeServer().which("cload").flatMap(i -> i.current()).map(v -> v.version()).orElse("none");
    }

    @Test
    public void aCoordinatedLoadCommitsOrRollsBackThroughTheReleaseTransaction() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!NODE.equals(Hotcode.node()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        counter("1.0.0", "counter-v1").start(Itest.context());
        Hotcode.call("cload", "start", 0, "ok");
        Hotcode.call("cload", "start", 1, "throw"); // its codeChange fails while hotcode.itest.failOn=throw
        Itest.code().installRelease(release("1.0.0", "counter-v1"));
        String ok = clusterLoad(release("2.0.0", "counter-v2"));
        assertTrue(ok, ok.contains("committed on every node"));
        assertEquals("2.0.0", currentVersion());
        Hotcode.codeServer().purge("cload");
        System.setProperty("hotcode.itest.failOn", "throw");
        try {
            String no = clusterLoad(release("3.0.0", "counter-v2"));
            assertTrue(no, no.contains("aborted on every node: node " + NODE));
            assertEquals("2.0.0", currentVersion());
        } finally {
            System.clearProperty("hotcode.itest.failOn");
        }
    }

    private static TestModules.Spec single(String version, String codeSet) {
        return TestModules.module("hotcode.itest.cmod", version).module("cmod", ServerUpgradeIT.ENTRY)
                .classes("counter-entry", codeSet);
    }

    /**
     * {@code hotcode:cluster load <module> <url>} in Felix: the module's bundle starts on the loading thread, so its
     * upgrade asks the cluster's barrier once prepared; committed, and rolled back everywhere when a codeChange fails.
     */
    @Test
    public void aCoordinatedLoadOfOneModuleCommitsOrRollsBack() throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!NODE.equals(Hotcode.node()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        single("1.0.0", "counter-v1").start(Itest.context());
        Hotcode.call("cmod", "start", 0, "ok");
        Hotcode.call("cmod", "start", 1, "throw"); // its codeChange fails while hotcode.itest.failOn=throw
        BundleContext context = Itest.context();
        ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.function=cluster)");
        Object command = context.getService(refs[0]);
        Method m = command.getClass().getMethod("cluster", String.class, String.class, String.class);
        Path dir = Files.createTempDirectory("cluster-module");
        Path v2 = dir.resolve("cmod-2.jar");
        Files.write(v2, single("2.0.0", "counter-v2").bytes());
        String ok = (String) m.invoke(command, "load", "cmod", v2.toUri().toString());
        assertTrue(ok, ok.contains("committed on every node") && ok.contains("loaded cmod 2.0.0"));
        assertEquals("2.0.0", Hotcode.codeServer().which("cmod").flatMap(i -> i.current()).map(v -> v.version()).orElse("none"));
        Hotcode.codeServer().purge("cmod");
        Path v3 = dir.resolve("cmod-3.jar");
        Files.write(v3, single("3.0.0", "counter-v2").bytes());
        System.setProperty("hotcode.itest.failOn", "throw");
        try {
            String no = (String) m.invoke(command, "load", "cmod", v3.toUri().toString());
            assertTrue(no, no.contains("aborted on every node: node " + NODE));
            assertEquals("2.0.0", Hotcode.codeServer().which("cmod").flatMap(i -> i.current()).map(v -> v.version())
                    .orElse("none"));
        } finally {
            System.clearProperty("hotcode.itest.failOn");
        }
    }
}
