package hotcode.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;

/**
 * Test modules, built at test time.
 *
 * <p><b>Driver side</b> ({@link #compileAll()}, called from each test's {@code @Configuration}, i.e. on the host
 * before the framework starts, where {@code javax.tools} is available): every source set
 * {@code itest/src/test/modules/<set>/} is compiled against the runtime API and the OSGi framework API into
 * {@code itest/target/test-modules/classes/<set>/}, with {@code itest/src/test/module-support/} on javac's source path:
 * what a set uses from there is compiled into that set, so each module bundle carries its own copy. Nothing of it
 * lands in {@code target/test-classes}, so the probe bundle never contains (nor wires to) module classes.
 *
 * <p>A module whose versions differ only in their version string is written once (echo, tools, storm), and its code
 * reads the version it was built as ({@code hotcode.itest.vsn.CodeVersion}): N for a set named {@code <set>-vN} (e.g.
 * {@link #ECHO_V2}: echo built as version 2, answering {@code "v2"} whatever the jar's Bundle-Version), else the
 * jar's Bundle-Version (storm).
 *
 * <p><b>Probe side</b> ({@link #jar}, {@link Spec#install}, {@link Spec#updateOf}): a bundle jar is assembled in memory
 * from one or more compiled sets and a generated manifest ({@code Bundle-SymbolicName}, {@code Bundle-Version},
 * {@code Hotcode-Module}, {@code Import-Package}, optional {@code Bundle-Activator}; {@code Implementation-Version}, the
 * version the code was built as, for {@code CodeVersion}); only {@code java.util.jar}, so
 * it works inside the framework.
 */
public final class TestModules {
    // The source sets under itest/src/test/modules.

    /** The echo set: one source for every version, built as version N by the set name echo-vN. */
    public static final String ECHO = "echo";
    /** The echo set built as version 1, 2, 3: {@code Echo.vsn()} answers "v1", "v2", "v3". */
    public static final String ECHO_V1 = ECHO + "-v1";
    public static final String ECHO_V2 = ECHO + "-v2";
    public static final String ECHO_V3 = ECHO + "-v3";
    /** The tools set (CodeServerIT, as tools-v1 and tools-v2): one source for every version, as echo. */
    public static final String TOOLS = "tools";
    public static final String FAILING_ACTIVATOR = "failing-activator";
    /** Module classes the runtime must refuse: a static initializer that throws, two functions of one name and arity. */
    public static final String BAD_MODULES = "bad-modules";
    /** The entry class of the echo sets. */
    public static final String ECHO_CLASS = "hotcode.itest.mod.Echo";
    public static final String FAILING_ACTIVATOR_CLASS = "hotcode.itest.mod.FailingActivator";
    /** The storm set (StormIT): one source set for every version, told apart by Bundle-Version. */
    public static final String STORM = "storm";
    public static final String STORM_CLASS = "hotcode.itest.storm.Storm";
    /** The sets written once for every version, which may be named {@code <set>-v<N>}: built as version N. */
    private static final Set<String> ONE_SOURCE_FOR_EVERY_VERSION = Set.of(ECHO, TOOLS, STORM);

    private static final String COMPILED_MARK = "hotcode.itest.modules.compiled";
    private static final AtomicLong LOCATIONS = new AtomicLong();

    private TestModules() {
    }

    // ------------------------------------------------------------------ driver side

    /** Compiles every source set (once per JVM); throws with javac's diagnostics on a compile error. */
    public static synchronized void compileAll() {
        if (Boolean.getBoolean(COMPILED_MARK)) {
            return;
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("no Java compiler (javax.tools): run the integration tests on a JDK");
        }
        String classpath = codeSource(hotcode.runtime.api.Hotcode.class) + File.pathSeparator
                + codeSource(org.osgi.framework.BundleActivator.class);
        Path sourceRoot = HotcodeOptions.root().resolve("itest/src/test/modules");
        Path support = HotcodeOptions.root().resolve("itest/src/test/module-support");
        try (Stream<Path> sets = Files.list(sourceRoot)) {
            for (Path set : sets.filter(Files::isDirectory).sorted().toList()) {
                Path out = classesDir(set.getFileName().toString());
                deleteTree(out);
                Files.createDirectories(out);
                List<String> args = new ArrayList<>(List.of("--release", "21", "-proc:none", "-nowarn",
                        "-encoding", "UTF-8", "-classpath", classpath, "-sourcepath", support.toString(),
                        "-d", out.toString()));
                try (Stream<Path> files = Files.walk(set)) {
                    files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
                }
                ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
                int rc = javac.run(null, diagnostics, diagnostics, args.toArray(new String[0]));
                if (rc != 0) {
                    throw new IllegalStateException("javac failed (" + rc + ") for test module set " + set + ":\n"
                            + diagnostics.toString(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.setProperty(COMPILED_MARK, "true");
    }

    private static String codeSource(Class<?> type) {
        try {
            return Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException | RuntimeException e) {
            throw new IllegalStateException("cannot locate the jar of " + type.getName(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }

    // ------------------------------------------------------------------ probe side

    /** Where a compiled set lives ({@code echo-v2}: where echo does). */
    public static Path classesDir(String set) {
        return HotcodeOptions.root().resolve("itest/target/test-modules/classes").resolve(Versioned.of(set).folder());
    }

    /** A set name: its folder, and for {@code <set>-v<N>} of a set written once for every version, N (else null). */
    private record Versioned(String folder, String version) {
        static Versioned of(String set) {
            int v = set.lastIndexOf("-v");
            if (v > 0 && ONE_SOURCE_FOR_EVERY_VERSION.contains(set.substring(0, v))
                    && set.substring(v + 2).matches("[0-9]+")) {
                return new Versioned(set.substring(0, v), set.substring(v + 2));
            }
            return new Versioned(set, null);
        }
    }

    /**
     * The version the code of {@code sets} was built as, for CodeVersion: N of a set {@code <set>-vN}, else the
     * Bundle-Version. One jar cannot hold two versions of code (e.g. echo-v1 with tools-v2): refused, naming them.
     */
    private static String codeVersion(Map<String, String> headers, List<String> sets) {
        String version = null;
        String from = null;
        for (String set : sets) {
            String v = Versioned.of(set).version();
            if (v != null && version != null && !v.equals(version)) {
                throw new IllegalStateException("test module sets " + from + " and " + set
                        + " are code of two versions; one jar holds one version's code");
            }
            if (v != null) {
                version = v;
                from = set;
            }
        }
        return version != null ? version : headers.get("Bundle-Version");
    }

    /** A module bundle to build: start with {@link #module}. */
    public static Spec module(String symbolicName, String version) {
        return new Spec(symbolicName, version);
    }

    /** Builder of one bundle jar. */
    public static final class Spec {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private final List<String> sets = new ArrayList<>();

        private Spec(String symbolicName, String version) {
            headers.put("Bundle-ManifestVersion", "2");
            headers.put("Bundle-SymbolicName", symbolicName);
            headers.put("Bundle-Version", version);
            headers.put("Import-Package", "hotcode.runtime.api");
        }

        /** {@code Hotcode-Module: <value>} verbatim (may be malformed on purpose). */
        public Spec header(String hotcodeModule) {
            headers.put("Hotcode-Module", hotcodeModule);
            return this;
        }

        /** {@code Hotcode-Module: <module>;class=<entryClass>}. */
        public Spec module(String module, String entryClass) {
            return header(module + ";class=" + entryClass);
        }

        /** Any other manifest header, verbatim (e.g. an {@code Import-Package} that cannot resolve). */
        public Spec manifest(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Spec activator(String className) {
            headers.put("Bundle-Activator", className);
            headers.put("Import-Package", "hotcode.runtime.api,org.osgi.framework");
            return this;
        }

        /** Adds the classes of compiled source sets (later sets win on equal names). */
        public Spec classes(String... sourceSets) {
            sets.addAll(List.of(sourceSets));
            return this;
        }

        public byte[] bytes() {
            return jar(headers, sets);
        }

        public InputStream stream() {
            return new ByteArrayInputStream(bytes());
        }

        /** Installs the jar (unique location), not started. */
        public Bundle install(BundleContext context) throws BundleException {
            String location = "itest:" + headers.get("Bundle-SymbolicName") + ":" + headers.get("Bundle-Version")
                    + ":" + LOCATIONS.incrementAndGet();
            return context.installBundle(location, stream());
        }

        /** Installs and starts the jar. */
        public Bundle start(BundleContext context) throws BundleException {
            Bundle b = install(context);
            b.start();
            return b;
        }

        /** {@code Bundle.update} of {@code bundle} with this jar. */
        public void updateOf(Bundle bundle) throws BundleException {
            bundle.update(stream());
        }
    }

    /** A jar with {@code headers} as its manifest and the classes of {@code sets}. */
    public static byte[] jar(Map<String, String> headers, List<String> sets) {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        headers.forEach(main::putValue);
        String codeVersion = codeVersion(headers, sets);
        if (main.getValue("Implementation-Version") == null && codeVersion != null) {
            // what hotcode.itest.vsn.CodeVersion reads: Felix defines the jar's packages from its revision's headers
            main.putValue("Implementation-Version", codeVersion);
        }
        Map<String, Path> entries = new TreeMap<>();
        for (String set : sets) {
            Path dir = classesDir(set);
            if (!Files.isDirectory(dir)) {
                throw new IllegalStateException("test module set " + set + " is not compiled (" + dir
                        + "); TestModules.compileAll() runs in @Configuration");
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).forEach(f -> entries.put(dir.relativize(f).toString().replace(File.separatorChar, '/'), f));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, manifest)) {
            java.util.Set<String> dirs = new java.util.TreeSet<>();
            for (String name : entries.keySet()) {
                for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
                    dirs.add(name.substring(0, i + 1));
                }
            }
            for (String d : dirs) {
                jar.putNextEntry(new JarEntry(d));
                jar.closeEntry();
            }
            for (Map.Entry<String, Path> e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(Files.readAllBytes(e.getValue()));
                jar.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
