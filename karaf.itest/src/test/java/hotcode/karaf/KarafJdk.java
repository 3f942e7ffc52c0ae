package hotcode.karaf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashSet;
import java.util.Properties;
import java.util.Set;

/**
 * The JDK that Karaf runs on in {@link KarafFeatureIT}. Apache Karaf 4.4.10 does not start on JDK 24 or newer: its
 * {@code bin/karaf} passes {@code -Djava.security.manager=allow}, which JDK 24 refuses, and without it
 * {@code Subject.getSubject} throws {@code UnsupportedOperationException} in Karaf's EventAdmin, shell and features
 * service (JEP 486). Hotcode needs Java 21, so Karaf needs a JDK from 21 to 23.
 *
 * <p>Looked for, in this order: the system property {@value #PROPERTY} (failsafe passes {@code -Dkaraf.java.home}),
 * the environment variable {@value #ENV}, the JDK running the test, every folder of {@code /usr/lib/jvm}. A JDK named
 * by the property or the variable that does not fit is an error, not a reason to look further. On Debian, whose
 * release 12 has no JDK 21, {@code .ci/jdk21} provides one (CI's {@code .ci/run} exports it as {@value #ENV}).
 */
final class KarafJdk {
    static final String PROPERTY = "karaf.java.home";
    static final String ENV = "KARAF_JAVA_HOME";
    static final int MIN = 21;
    static final int MAX = 23;

    private static final KarafJdk FOUND = find();

    /** The JDK's home, or null when none fits ({@link #why()} says what was found). */
    final Path home;
    /** Its feature release (21 for 21.0.9), or 0. */
    final int major;
    private final String why;

    private KarafJdk(Path home, int major, String why) {
        this.home = home;
        this.major = major;
        this.why = why;
    }

    static KarafJdk get() {
        return FOUND;
    }

    String why() {
        return why;
    }

    private static KarafJdk find() {
        for (String named : new String[] { System.getProperty(PROPERTY), System.getenv(ENV) }) {
            if (named != null && !named.isBlank()) {
                Path home = Paths.get(named.trim()).toAbsolutePath();
                int v = major(home);
                if (v < MIN || v > MAX) {
                    throw new IllegalStateException(PROPERTY + "/" + ENV + " names " + home + ", which is "
                            + (v == 0 ? "not a JDK (no release file with JAVA_VERSION, or no bin/java)" : "JDK " + v)
                            + "; Karaf 4.4 with Hotcode needs a JDK from " + MIN + " to " + MAX);
                }
                return new KarafJdk(home, v, null);
            }
        }
        Set<Path> candidates = new LinkedHashSet<>();
        candidates.add(Paths.get(System.getProperty("java.home")));
        try (DirectoryStream<Path> jvms = Files.newDirectoryStream(Paths.get("/usr/lib/jvm"))) {
            for (Path p : jvms) {
                candidates.add(p);
            }
        } catch (IOException e) {
            // no /usr/lib/jvm: only the running JDK is a candidate
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Path c : candidates) {
            Path home = realPath(c);
            int v = major(home);
            if (v >= MIN && v <= MAX) {
                return new KarafJdk(home, v, null);
            }
            if (v > 0) {
                seen.add(home + " (" + v + ")");
            }
        }
        return new KarafJdk(null, 0, "Apache Karaf 4.4 needs a JDK from " + MIN + " to " + MAX
                + " (it does not start on 24+, Hotcode needs 21); found only " + String.join(", ", seen)
                + ". Set -D" + PROPERTY + "=<JDK 21 home> or $" + ENV + " (on Debian: " + ENV + "=$(.ci/jdk21))");
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    /** The JAVA_VERSION of the home's release file, as a feature release, or 0 if it is not a runnable JDK. */
    static int major(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release) || !Files.isExecutable(home.resolve("bin/java"))) {
            return 0;
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return 0;
        }
        String v = p.getProperty("JAVA_VERSION", "").replace("\"", "").trim();
        if (v.startsWith("1.")) {
            v = v.substring(2);
        }
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }
}
