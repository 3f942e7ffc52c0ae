package hotcode.console;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class MainTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void readsOldAndNewJavaVersions() {
        assertEquals(8, Main.javaVersion("1.8"));
        assertEquals(17, Main.javaVersion("17"));
        assertEquals(21, Main.javaVersion("21"));
        assertEquals(25, Main.javaVersion("25.0.1"));
        assertEquals(0, Main.javaVersion(null));
        assertEquals(0, Main.javaVersion("x"));
        assertTrue(Main.javaVersion("17") < Main.MIN_JAVA);
    }

    @Test
    public void aCacheInAWritableFolderIsFine() throws IOException {
        assertNull(Main.unwritable(new File(tmp.getRoot(), "felix-cache")));
        File existing = tmp.newFolder("cache");
        assertNull(Main.unwritable(existing));
        assertNull(Main.unwritable(new File(tmp.getRoot(), "a/b/felix-cache")));
    }

    /** Holds as root too (a read-only folder does not: root writes anywhere). */
    @Test
    public void aCacheUnderAFileIsRefusedNamingTheFile() throws IOException {
        File file = tmp.newFile("not-a-folder");
        String why = Main.unwritable(new File(file, "felix-cache"));
        assertEquals(file + " is not a folder", why);
    }
}
