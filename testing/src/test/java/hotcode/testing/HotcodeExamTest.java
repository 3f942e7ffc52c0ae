package hotcode.testing;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Where HotcodeExam takes the runtime and the kit from (host side: no framework needed). */
public class HotcodeExamTest {
    private static final String[] PROPERTIES = {HotcodeExam.RUNTIME_URL_PROPERTY, HotcodeExam.RUNTIME_VERSION_PROPERTY,
            HotcodeExam.KIT_URL_PROPERTY, "maven.repo.local"};

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final Map<String, String> saved = new HashMap<>();

    @Before
    public void save() {
        for (String p : PROPERTIES) {
            saved.put(p, System.getProperty(p));
            System.clearProperty(p);
        }
    }

    @After
    public void restore() {
        saved.forEach((p, v) -> {
            if (v == null) {
                System.clearProperty(p);
            } else {
                System.setProperty(p, v);
            }
        });
    }

    @Test
    public void runtimeComesFromTheLocalRepositoryAtTheKitsVersion() throws Exception {
        Path repo = tmp.newFolder("repo").toPath();
        System.setProperty("maven.repo.local", repo.toString());
        String v = HotcodeExam.kitVersion();
        Path jar = repo.resolve("dev/hotcode/hotcode-runtime/" + v + "/hotcode-runtime-" + v + ".jar");

        IllegalStateException missing = assertThrows(IllegalStateException.class, HotcodeExam::runtimeUrl);
        assertTrue(missing.getMessage(), missing.getMessage().contains("dev.hotcode:hotcode-runtime:" + v));
        assertTrue(missing.getMessage(), missing.getMessage().contains(jar.toString()));
        assertTrue(missing.getMessage(), missing.getMessage().contains("-D" + HotcodeExam.RUNTIME_URL_PROPERTY));

        Files.createDirectories(jar.getParent());
        Files.write(jar, new byte[] {1});
        assertEquals(jar.toUri().toString(), HotcodeExam.runtimeUrl());

        System.setProperty(HotcodeExam.RUNTIME_VERSION_PROPERTY, "9.9.9");
        assertTrue(assertThrows(IllegalStateException.class, HotcodeExam::runtimeUrl).getMessage()
                .contains("dev.hotcode:hotcode-runtime:9.9.9"));
    }

    @Test
    public void runtimeUrlPropertyWinsAndMustNameAFileThatExists() throws Exception {
        Path jar = tmp.newFile("runtime.jar").toPath();
        System.setProperty(HotcodeExam.RUNTIME_URL_PROPERTY, jar.toString());
        assertEquals(jar.toUri().toString(), HotcodeExam.runtimeUrl());
        System.setProperty(HotcodeExam.RUNTIME_URL_PROPERTY, jar.toUri().toString());
        assertEquals(jar.toUri().toString(), HotcodeExam.runtimeUrl());
        System.setProperty(HotcodeExam.RUNTIME_URL_PROPERTY, "https://example.org/hotcode-runtime.jar");
        assertEquals("https://example.org/hotcode-runtime.jar", HotcodeExam.runtimeUrl());

        Path gone = jar.resolveSibling("gone.jar");
        System.setProperty(HotcodeExam.RUNTIME_URL_PROPERTY, gone.toString());
        IllegalStateException e = assertThrows(IllegalStateException.class, HotcodeExam::runtimeUrl);
        assertTrue(e.getMessage(), e.getMessage().contains(gone.toString())
                && e.getMessage().contains(HotcodeExam.RUNTIME_URL_PROPERTY));
    }

    @Test
    public void kitVersionIsTheBuildsAndKitComesFromItsClassesFolderHere() {
        String v = HotcodeExam.kitVersion();
        assertTrue(v, v.matches("\\d+\\.\\d+\\.\\d+.*"));
        // surefire loads the kit from target/classes, which bnd gave its manifest: Felix installs it in place
        String url = HotcodeExam.kitUrl();
        assertTrue(url, url.startsWith("reference:file:") && url.endsWith("/classes/"));
    }
}
