package hotcode.testing;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.ops4j.pax.exam.Option;

/**
 * Pax Exam options that put the Hotcode runtime into the framework of a test, on the host side (where Pax Exam reads
 * the {@code @Configuration}):
 *
 * <pre>
 * &#64;RunWith(PaxExam.class)
 * &#64;ExamReactorStrategy(PerClass.class)
 * public class UpgradeIT {
 *     &#64;Configuration
 *     public Option[] config() {
 *         return HotcodeExam.options();      // or options(extra...): more bundles, framework properties
 *     }
 *
 *     &#64;Test
 *     public void upgrades() throws Exception {
 *         Bundle b = Modules.install(Modules.jar("mymodule.v1.jar"));   // inside the framework from here on
 *         ...
 *     }
 * }
 * </pre>
 *
 * <p>{@link #options} is the framework's set-up ({@link #framework()}), the runtime bundle ({@link #runtime()}) and
 * this kit's own bundle ({@link #kit()}, so that the helpers {@link Modules}, {@link Await}, {@link Inbox} and
 * {@link DeadLetters} can be called from test methods: those run inside the framework, in Pax Exam's probe bundle,
 * which imports this package from the kit's bundle). The framework is Felix, from the test class path (this kit
 * depends on it, and on Pax Exam's JUnit runner and native container).
 *
 * <p><b>Where the runtime comes from.</b> The runtime bundle is {@code dev.hotcode:hotcode-runtime} of this kit's
 * version (or of the system property {@value #RUNTIME_VERSION_PROPERTY}), from the local Maven repository (the system
 * property {@code maven.repo.local}, else {@code ~/.m2/repository}): a project that depends on the kit has it there.
 * The system property {@value #RUNTIME_URL_PROPERTY} (a URL, or a file path) names another jar instead, e.g. the one
 * a reactor build has just packaged. Failsafe passes both through {@code <systemPropertyVariables>}; pass
 * {@code maven.repo.local} as {@code ${settings.localRepository}} when a build runs with another local repository.
 */
public final class HotcodeExam {
    /** System property: the runtime bundle to install, as a URL or a file path (instead of the local repository's). */
    public static final String RUNTIME_URL_PROPERTY = "hotcode.runtime.url";
    /** System property: the version of {@code dev.hotcode:hotcode-runtime} to install (default: the kit's). */
    public static final String RUNTIME_VERSION_PROPERTY = "hotcode.runtime.version";
    /** System property: this kit's bundle, as a URL or a file path (default: the jar this class was loaded from). */
    public static final String KIT_URL_PROPERTY = "hotcode.testing.url";
    /** The runtime's Maven groupId. */
    public static final String RUNTIME_GROUP_ID = "dev.hotcode";
    /** The runtime's Maven artifactId. */
    public static final String RUNTIME_ARTIFACT_ID = "hotcode-runtime";

    private HotcodeExam() {
    }

    /**
     * Everything a Hotcode test needs: {@link #framework()}, {@link #runtime()}, {@link #kit()}, then {@code extra}
     * (which Pax Exam installs after them, so a module bundle among them resolves against the runtime). A bundle whose
     * packages the runtime imports optionally (Log Service, EventAdmin, ConfigAdmin, Gogo) must come before the runtime
     * to be wired to it: compose {@code framework()}, that bundle, {@code runtime()} and {@code kit()} yourself.
     */
    public static Option[] options(Option... extra) {
        List<Option> options = new ArrayList<>();
        options.add(framework());
        options.add(runtime());
        options.add(kit());
        options.addAll(Arrays.asList(extra));
        return options.toArray(new Option[0]);
    }

    /**
     * The framework's set-up: a clean bundle cache on each launch, Felix's own log to errors only, Pax Exam's log to
     * warnings, and the JUnit bundles the probe needs.
     */
    public static Option framework() {
        return composite(
                frameworkProperty("org.osgi.framework.storage.clean").value("onFirstInit"),
                frameworkProperty("felix.log.level").value("1"),
                systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"),
                junitBundles());
    }

    /** The runtime bundle, installed and started (see the class comment for where it comes from). */
    public static Option runtime() {
        return bundle(runtimeUrl()).start();
    }

    /** This kit's bundle {@code hotcode.testing}, installed and started, for the helpers that tests call. */
    public static Option kit() {
        return bundle(kitUrl()).start();
    }

    /** The URL of the runtime bundle that {@link #runtime()} installs. */
    public static String runtimeUrl() {
        String url = System.getProperty(RUNTIME_URL_PROPERTY);
        if (url != null && !url.isBlank()) {
            return toUrl(url.trim(), "-D" + RUNTIME_URL_PROPERTY);
        }
        String version = System.getProperty(RUNTIME_VERSION_PROPERTY);
        if (version == null || version.isBlank()) {
            version = kitVersion();
        }
        return mavenJar(RUNTIME_GROUP_ID, RUNTIME_ARTIFACT_ID, version.trim());
    }

    /** The URL of this kit's bundle: {@value #KIT_URL_PROPERTY}, else the jar (or folder) this class came from. */
    public static String kitUrl() {
        String url = System.getProperty(KIT_URL_PROPERTY);
        if (url != null && !url.isBlank()) {
            return toUrl(url.trim(), "-D" + KIT_URL_PROPERTY);
        }
        CodeSource source = HotcodeExam.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IllegalStateException("cannot tell where the test kit hotcode.testing was loaded from: set -D"
                    + KIT_URL_PROPERTY + "=<its jar>");
        }
        Path path;
        try {
            path = Paths.get(source.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("the test kit hotcode.testing was loaded from " + source.getLocation()
                    + ", not a file: set -D" + KIT_URL_PROPERTY + "=<its jar>", e);
        }
        if (Files.isDirectory(path)) {
            // an IDE or a reactor build before package: the classes folder, which bnd gave its manifest; Felix
            // installs a folder in place from a reference: URL
            if (!Files.isRegularFile(path.resolve("META-INF/MANIFEST.MF"))) {
                throw new IllegalStateException("the test kit's classes folder " + path + " has no bundle manifest"
                        + " (build it with Maven: mvn package), or set -D" + KIT_URL_PROPERTY + "=<its jar>");
            }
            return "reference:" + path.toUri();
        }
        return path.toUri().toString();
    }

    /**
     * The {@code file:} URL of a jar in the local Maven repository (system property {@code maven.repo.local}, else
     * {@code ~/.m2/repository}); fails naming the file when it is not there.
     */
    public static String mavenJar(String groupId, String artifactId, String version) {
        Path jar = localRepository().resolve(groupId.replace('.', '/')).resolve(artifactId).resolve(version)
                .resolve(artifactId + "-" + version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(groupId + ":" + artifactId + ":" + version
                    + " is not in the local Maven repository (no " + jar + "): make it a dependency of the test"
                    + " project (Maven then fetches it), install it (mvn install), or, for the runtime, set -D"
                    + RUNTIME_URL_PROPERTY + "=<its jar>");
        }
        return jar.toUri().toString();
    }

    /** The local Maven repository: system property {@code maven.repo.local}, else {@code ~/.m2/repository}. */
    public static Path localRepository() {
        String repo = System.getProperty("maven.repo.local");
        if (repo != null && !repo.isBlank()) {
            return Paths.get(repo.trim()).toAbsolutePath();
        }
        return Paths.get(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The kit's version, written into hotcode-testing.properties by its build. */
    public static String kitVersion() {
        Properties p = new Properties();
        try (InputStream in = HotcodeExam.class.getResourceAsStream("hotcode-testing.properties")) {
            if (in == null) {
                throw new IllegalStateException("the test kit has no hotcode/testing/hotcode-testing.properties"
                        + " (build it with Maven), or set -D" + RUNTIME_VERSION_PROPERTY);
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String v = p.getProperty("version", "");
        if (v.isBlank() || v.startsWith("${")) {
            throw new IllegalStateException("the test kit's hotcode-testing.properties has no version (" + v
                    + "): build it with Maven, or set -D" + RUNTIME_VERSION_PROPERTY);
        }
        return v.trim();
    }

    /** A URL as given, or a file path made a {@code file:} URL (the file must exist). */
    static String toUrl(String value, String where) {
        if (value.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) { // a scheme of two letters or more: not C:\...
            if (value.startsWith("file:")) {
                try {
                    Path p = Paths.get(new URL(value).toURI());
                    if (!Files.exists(p)) {
                        throw new IllegalStateException("missing " + p + " (" + where + ")");
                    }
                } catch (IOException | URISyntaxException | IllegalArgumentException e) {
                    throw new IllegalStateException("not a file URL: " + value + " (" + where + ")", e);
                }
            }
            return value;
        }
        Path p = Paths.get(value).toAbsolutePath().normalize();
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing " + p + " (" + where + ")");
        }
        return p.toUri().toString();
    }
}
