package hotcode.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.ops4j.pax.exam.Option;

import hotcode.testing.HotcodeExam;

/**
 * Pax Exam configuration shared by all Hotcode integration tests: the real Felix framework
 * (org.apache.felix.framework from the test class path) set up as the test kit sets it up
 * ({@link HotcodeExam#framework()}: JUnit bundles among others), Felix Log and EventAdmin
 * (from the local Maven repository: the runtime logs and posts events to them), the bundles listed
 * in {@code cnf/run/itest.properties}, installed from the reactor's jar files by {@code file:} URL, and the
 * test kit's bundle ({@link HotcodeExam#kit()}: the helpers of {@code hotcode.testing}, which {@link Itest} and the
 * example tests call from inside the framework).
 *
 * <p>The reactor root comes from the system property {@value #ROOT_PROPERTY} (failsafe sets it);
 * without it the root is searched upwards from the working directory (for IDE runs).
 *
 * <pre>
 * &#64;Configuration
 * public Option[] config() {
 *     return HotcodeOptions.options();                       // or options(extra...)
 * }
 * </pre>
 */
public final class HotcodeOptions {

    /** System property naming the reactor root directory. */
    public static final String ROOT_PROPERTY = "hotcode.root";
    /** The itest configuration, relative to the reactor root. */
    public static final String ITEST_PROPERTIES = "cnf/run/itest.properties";

    private HotcodeOptions() {
    }

    /** Framework, JUnit, the {@code itest.bundles} of itest.properties and the test kit, plus {@code extra}. */
    public static Option[] options(Option... extra) {
        Properties props = itestProperties();
        List<Option> options = new ArrayList<>();
        options.add(HotcodeExam.framework());
        // itest.properties may add framework properties or override the kit's (a later option wins)
        for (String key : props.stringPropertyNames()) {
            if (key.startsWith("framework.")) {
                options.add(frameworkProperty(key.substring("framework.".length()))
                        .value(props.getProperty(key)));
            }
        }
        // before the runtime, so that it resolves wired to their (optional) packages
        options.add(bundle(mavenJar("org.apache.felix", "org.apache.felix.log", "1.3.0")).start());
        options.add(bundle(mavenJar("org.apache.felix", "org.apache.felix.eventadmin", "1.6.4")).start());
        for (String path : list(props.getProperty("itest.bundles", ""))) {
            options.add(bundle(fileUrl(path)).start());
        }
        options.add(HotcodeExam.kit());
        options.addAll(Arrays.asList(extra));
        return options.toArray(new Option[0]);
    }

    /** {@code file:} URL of the jar named by {@code key} in itest.properties. */
    public static String url(String key) {
        String path = itestProperties().getProperty(key);
        if (path == null) {
            throw new IllegalArgumentException(key + " is not set in " + ITEST_PROPERTIES);
        }
        return fileUrl(path.trim());
    }

    /** {@code file:} URL of a path relative to the reactor root; the file must exist. */
    public static String fileUrl(String relativePath) {
        Path file = root().resolve(relativePath).normalize();
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("missing " + file + " (build the reactor first: mvn package)");
        }
        return file.toUri().toString();
    }

    /**
     * {@code file:} URL of a jar in the local Maven repository (system property {@code hotcode.m2}, set by failsafe;
     * else ~/.m2/repository): a test dependency of the itest, so the build has fetched it.
     */
    public static String mavenJar(String groupId, String artifactId, String version) {
        String m2 = System.getProperty("hotcode.m2");
        Path repo = m2 != null && !m2.isBlank() ? Paths.get(m2)
                : Paths.get(System.getProperty("user.home"), ".m2", "repository");
        Path jar = repo.resolve(groupId.replace('.', '/')).resolve(artifactId).resolve(version)
                .resolve(artifactId + "-" + version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar + " (a test dependency of itest/pom.xml: mvn -pl itest test-compile)");
        }
        return jar.toUri().toString();
    }

    /** The reactor root directory. */
    public static Path root() {
        String root = System.getProperty(ROOT_PROPERTY);
        if (root != null && !root.isBlank()) {
            return Paths.get(root).toAbsolutePath().normalize();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(ITEST_PROPERTIES))) {
                return dir;
            }
        }
        throw new IllegalStateException("set -D" + ROOT_PROPERTY + "=<reactor root> (no "
                + ITEST_PROPERTIES + " above " + Paths.get("").toAbsolutePath() + ")");
    }

    /** The contents of cnf/run/itest.properties. */
    public static Properties itestProperties() {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(root().resolve(ITEST_PROPERTIES))) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return props;
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }
}
