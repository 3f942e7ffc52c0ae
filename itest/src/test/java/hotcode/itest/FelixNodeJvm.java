package hotcode.itest;

import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One cluster node in a Felix JVM of its own ({@link FelixNode}: the runtime, the cluster bundle and module
 * {@code cstorm}), driven by commands on its standard input, one per line; it answers {@code L} lines, then {@code OK}
 * or {@code ERR}. Shared by {@link ClusterStormIT} and {@link ClusterLoadBench}.
 */
final class FelixNodeJvm {
    final String node;
    final Process process;
    private final Writer in;
    private final long waitMillis;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    /** The runtime's own lines "[hotcode] upgraded N server(s) of ...": kept apart for the benchmark's figures. */
    final BlockingQueue<String> upgrades = new LinkedBlockingQueue<>();

    private FelixNodeJvm(String node, Process process, long waitMillis) {
        this.node = node;
        this.process = process;
        this.waitMillis = waitMillis;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    (line.contains("[hotcode] upgraded ") ? upgrades : lines).add(line);
                }
            } catch (IOException e) {
                lines.add("ERR node " + node + ": " + e);
            }
            lines.add("EOF");
        }, "felix-node-" + node);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Starts node {@code node} with {@code jvmOptions} (the cluster's properties among them) and module {@code cstorm}
     * from {@code moduleJar}, its framework cache under {@code dir} and its stderr in {@code log}; returns once it
     * says READY (a node that does not is stopped, and the test fails).
     */
    static FelixNodeJvm start(String node, List<String> jvmOptions, Path dir, Path moduleJar, Path log,
                              long waitMillis) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FelixNode.class.getName(),
                Files.createTempDirectory(dir, "felix-" + node).toString(),
                HotcodeOptions.root().resolve("runtime.bundle/target/hotcode.runtime.jar").toString(),
                HotcodeOptions.root().resolve("cluster.bundle/target/hotcode.cluster.jar").toString(),
                moduleJar.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(log.toFile());
        FelixNodeJvm j = new FelixNodeJvm(node, pb.start(), waitMillis);
        try {
            for (;;) {
                String l = j.next();
                if (l.equals("READY")) {
                    return j;
                }
                if (l.startsWith("ERR")) {
                    fail("node " + node + " did not start: " + l + " (its log: " + log + ")");
                }
            }
        } catch (Exception | AssertionError e) {
            j.process.destroyForcibly(); // never left running behind a failed start
            throw e;
        }
    }

    /**
     * Stops every node (end of input, then 15 s before a forced stop) and, when {@code deleteDir}, deletes {@code dir}
     * with the nodes' bundle caches: a failed test keeps them, with the nodes' logs.
     */
    static void stopAll(Collection<FelixNodeJvm> jvms, Path dir, boolean deleteDir) throws IOException,
            InterruptedException {
        for (FelixNodeJvm j : jvms) {
            j.process.getOutputStream().close();
        }
        for (FelixNodeJvm j : jvms) {
            if (!j.process.waitFor(15, TimeUnit.SECONDS)) {
                j.process.destroyForcibly();
            }
        }
        if (deleteDir && dir != null) {
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Module {@code cstorm} at {@code version}, written into {@code dir} once. */
    static Path cstormJar(Path dir, String version) throws IOException {
        Path f = dir.resolve("cstorm-" + version + ".jar");
        if (!Files.exists(f)) {
            Files.write(f, TestModules.module("hotcode.itest.cstorm", version)
                    .module("cstorm", "hotcode.itest.cstorm.ClusterStorm").classes("cstorm").bytes());
        }
        return f;
    }

    String next() throws InterruptedException {
        String l = lines.poll(waitMillis, TimeUnit.MILLISECONDS);
        if (l == null || l.equals("EOF")) {
            fail("node " + node + ": no answer within " + waitMillis + " ms" + (l == null ? "" : " (its JVM ended)"));
        }
        return l;
    }

    /** Sends one command; answers its L lines, the OK text last; fails on ERR. */
    List<String> run(String command) throws Exception {
        in.write(command + "\n");
        in.flush();
        List<String> out = new ArrayList<>();
        for (;;) {
            String l = next();
            if (l.startsWith("L ")) {
                out.add(l.substring(2));
            } else if (l.startsWith("OK")) {
                out.add(l.length() > 3 ? l.substring(3) : "");
                return out;
            } else if (l.startsWith("ERR")) {
                fail("node " + node + ": " + command + ": " + l);
            }
        }
    }

    /** Sends one command; answers the OK text. */
    String one(String command) throws Exception {
        List<String> r = run(command);
        return r.get(r.size() - 1);
    }
}
