package hotcode.observer.itest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The console distribution with the web group, started by a test in a JVM of its own: Felix with the runtime,
 * pingpong, the load generator and the web bundles, HTTP on 127.0.0.1 and a free port, and a Gogo shell the test
 * types commands into. {@link #command} is the one place that knows how the console is started: point it at the
 * console's executable jar once there is one.
 */
final class ObserverConsole implements AutoCloseable {
    static final String USER = "admin";
    static final String PASSWORD = "observer-it-secret";

    final int port;
    private final Process process;
    private final OutputStream shell;
    private final StringBuffer output = new StringBuffer();

    private final Path storage;

    private ObserverConsole(int port, Process process, Path storage) {
        this.port = port;
        this.storage = storage;
        this.process = process;
        this.shell = process.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the console has ended
            }
        }, "observer-console-output");
        reader.setDaemon(true);
        reader.start();
    }

    static Path root() {
        return Path.of(System.getProperty("hotcode.root", "..")).toAbsolutePath().normalize();
    }

    /** The web group, in start order: what observer.bundle/README.md lists and ./hotcode --observer starts. */
    static List<Path> webBundles(Path root) {
        Path web = root.resolve("observer.bundle/target/web");
        List<Path> out = new ArrayList<>();
        for (String j : List.of("org.apache.felix.http.servlet-api.jar", "slf4j-api.jar", "slf4j-simple.jar",
                "org.apache.felix.log.jar", "org.apache.felix.eventadmin.jar", "org.apache.felix.configadmin.jar",
                "org.apache.felix.http.jetty.jar", "org.apache.felix.inventory.jar", "encoder.jar",
                "org.apache.felix.webconsole.jar", "org.apache.felix.healthcheck.api.jar")) {
            out.add(web.resolve(j));
        }
        out.add(root.resolve("observer.bundle/target/hotcode.observer.jar"));
        return out;
    }

    /**
     * The command line of the console with the web group on {@code port}: the console's launcher and configuration
     * (cnf/run/console.properties), with a framework cache of its own ({@code storage}) and the web bundles and
     * {@code extraBundles} started at level 5.
     */
    static List<String> command(Path root, int port, Path storage, List<Path> extraBundles) {
        return command(root, port, storage, extraBundles, List.of());
    }

    /** {@link #command(Path, int, Path, List)} with {@code jvmOptions} too (a cluster's properties, as {@code -D}). */
    static List<String> command(Path root, int port, Path storage, List<Path> extraBundles, List<String> jvmOptions) {
        List<Path> level5 = new ArrayList<>(webBundles(root));
        level5.addAll(extraBundles);
        StringBuilder start = new StringBuilder();
        for (Path p : level5) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException("missing bundle " + p + ": build first (mvn -DskipTests package)");
            }
            start.append(start.length() == 0 ? "" : " ").append(p.toUri());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.add("-Xmx1g");
        cmd.add("-Dhotcode.root=" + root);
        cmd.add("-Dfelix.config.properties=" + root.resolve("cnf/run/console.properties").toUri());
        cmd.add("-Dorg.osgi.framework.storage=" + storage);
        cmd.add("-Dorg.osgi.framework.startlevel.beginning=5");
        cmd.add("-Dfelix.auto.start.5=" + start);
        cmd.add("-Dorg.apache.felix.http.host=127.0.0.1");
        cmd.add("-Dorg.osgi.service.http.port=" + port);
        cmd.add("-Dfelix.webconsole.username=" + USER);
        cmd.add("-Dfelix.webconsole.password=" + PASSWORD);
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(root.resolve("target/felix/org.apache.felix.main.jar").toString());
        return cmd;
    }

    /** Starts the console and waits (up to 90 s) until the observer page answers. */
    static ObserverConsole start(List<Path> extraBundles) throws Exception {
        return start(extraBundles, List.of());
    }

    /** {@link #start(List)} with {@code jvmOptions} on the console's command line. */
    static ObserverConsole start(List<Path> extraBundles, List<String> jvmOptions) throws Exception {
        Path root = root();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path storage = Files.createTempDirectory("observer-it-felix");
        ProcessBuilder pb = new ProcessBuilder(command(root, port, storage, extraBundles, jvmOptions))
                .directory(root.toFile()).redirectErrorStream(true);
        ObserverConsole c = new ObserverConsole(port, pb.start(), storage);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!c.process.isAlive()) {
                throw new IllegalStateException("the console ended with " + c.process.exitValue() + ":\n" + c.output());
            }
            try {
                if (c.get("/system/console/hotcode/api/overview", true).statusCode() == 200) {
                    return c;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        c.close();
        throw new IllegalStateException("the observer page did not answer on port " + port + " within 90 s:\n" + c.output());
    }

    /** The console JVM's process id (a test stops and continues it with signals). */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** The URL with the credentials in it: how the browser logs in to the console's basic authentication. */
    String browserUrl(String path) {
        return "http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + path;
    }

    /** Types a command into the console's Gogo shell. */
    void type(String command) {
        try {
            shell.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            shell.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the console's shell is gone: " + output(), e);
        }
    }

    String output() {
        return output.toString();
    }

    /**
     * The console JVM's threads, virtual ones included ({@code jcmd Thread.dump_to_file}), for a failure message: a
     * command that never answers says little without them (a shell that stopped answering was seen once, in a full
     * run of the suite, and did not come back in 8 runs of this class). Empty if the dump cannot be taken.
     */
    String threadDump() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Path file = Files.createTempFile("observer-console-threads", ".txt");
            Files.delete(file); // jcmd refuses to overwrite
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.dump_to_file",
                    "-format=text", file.toString()).redirectErrorStream(true).start();
            p.getInputStream().transferTo(OutputStream.nullOutputStream());
            if (!p.waitFor(60, TimeUnit.SECONDS) || !Files.isRegularFile(file)) {
                p.destroyForcibly();
                return "";
            }
            String dump = Files.readString(file);
            Files.deleteIfExists(file);
            return dump;
        } catch (IOException | RuntimeException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    HttpResponse<String> get(String path, boolean withCredentials) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10));
        if (withCredentials) {
            b.header("Authorization", basic(USER, PASSWORD));
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Ends the shell's input (Gogo then stops the framework), and the process if it does not end within 20 s. */
    @Override
    public void close() throws Exception {
        try {
            shell.close();
        } catch (IOException e) {
            // gone already
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        try (var files = Files.walk(storage)) { // the framework cache of this run
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
