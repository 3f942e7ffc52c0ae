package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.code.ModuleHeader;

import hotcode.runtime.api.HotcodeException;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** What {@code hotcode:load} reads: a bounded read of the url, and errors that say what the file is when it is no module jar. */
public class ModuleJarTest {
    private static final String MODULE = "echo";
    private static final String BSN = "test.echo";

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private String file(byte[] content) throws IOException {
        File f = tmp.newFile();
        Files.write(f.toPath(), content);
        return f.toURI().toString();
    }

    private static byte[] jar(String bsn, String moduleHeader) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", bsn + ";singleton:=true");
        if (moduleHeader != null) {
            mf.getMainAttributes().putValue(ModuleHeader.NAME, moduleHeader);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new ZipEntry("hotcode/x/Echo.class"));
            jar.write(new byte[100]);
        }
        return out.toByteArray();
    }

    private static HotcodeException assertRefused(String url, long maxBytes, String... parts) {
        HotcodeException e = assertThrows(HotcodeException.class, () -> ModuleJar.read(url, MODULE, BSN, maxBytes));
        String msg = e.getMessage();
        assertTrue("names the url: " + msg, msg.contains(url));
        for (String p : parts) {
            assertTrue("mentions \"" + p + "\": " + msg, msg.contains(p));
        }
        return e;
    }

    private static HotcodeException assertRefused(String url, String... parts) {
        return assertRefused(url, ModuleJar.MAX_BYTES, parts);
    }

    @Test
    public void aModuleJarIsReadWhole() throws IOException {
        byte[] jar = jar(BSN, MODULE + ";class=hotcode.x.Echo");
        assertArrayEquals(jar, ModuleJar.read(file(jar), MODULE, BSN));
    }

    @Test
    public void aWholeJarPassesTheDeployCheck() throws IOException {
        byte[] jar = jar(BSN, MODULE + ";class=hotcode.x.Echo");
        ModuleJar.checkWhole("deploy: ", "x.jar", jar); // no exception
    }

    @Test
    public void aJarCutShortIsNotWholeThoughItsManifestReads() throws IOException {
        byte[] whole = jar(BSN, MODULE + ";class=hotcode.x.Echo");
        for (int cut : new int[] {whole.length - 1, whole.length - 30, whole.length / 2}) {
            byte[] half = java.util.Arrays.copyOf(whole, cut);
            String url = file(half);
            ModuleJar.readJar("deploy: ", url); // the manifest at the front reads: that alone is no check
            HotcodeException e = assertThrows(HotcodeException.class, () -> ModuleJar.checkWhole("deploy: ", url, half));
            assertTrue("names the url and says why: " + e.getMessage(), e.getMessage().contains(url)
                    && e.getMessage().contains("not a whole jar"));
        }
    }

    @Test
    public void theManifestIsFoundWhereverItIsInTheZip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("hotcode/x/Echo.class"));
            zip.write(new byte[10]);
            zip.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            zip.write(("Manifest-Version: 1.0\r\nBundle-SymbolicName: " + BSN + "\r\n" + ModuleHeader.NAME + ": " + MODULE
                    + ";class=hotcode.x.Echo\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] jar = out.toByteArray();
        assertArrayEquals(jar, ModuleJar.read(file(jar), MODULE, BSN));
    }

    @Test(timeout = 60_000)
    public void devZeroIsRefusedAtOnceSayingWhatItIs() {
        assertRefused("file:/dev/zero", "not a jar", "begins with the bytes 00 00 00 00");
    }

    @Test
    public void anEmptyFileIsRefused() throws IOException {
        assertRefused(file(new byte[0]), "not a jar", "empty");
    }

    @Test
    public void aTextFileIsRefusedQuotingIt() throws IOException {
        assertRefused(file("Hello, this is\nnot a jar at all".getBytes(StandardCharsets.UTF_8)), "not a jar",
                "text", "Hello, this is");
    }

    @Test
    public void aDirectoryIsRefused() throws IOException {
        assertRefused(tmp.newFolder().toURI().toString(), "directory");
    }

    @Test
    public void aMissingFileCannotBeRead() {
        assertRefused(new File(tmp.getRoot(), "nothing.jar").toURI().toString(), "cannot read");
        HotcodeException e = assertThrows(HotcodeException.class, () -> ModuleJar.read("no url", MODULE, BSN));
        assertTrue(e.getMessage(), e.getMessage().contains("cannot read no url"));
    }

    @Test
    public void aZipWithoutManifestIsNoModuleBundle() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("readme.txt"));
            zip.write("hello".getBytes(StandardCharsets.UTF_8));
        }
        assertRefused(file(out.toByteArray()), "zip file", "no META-INF/MANIFEST.MF", "not a module bundle");
        out.reset();
        new ZipOutputStream(out).close(); // no entries at all
        assertRefused(file(out.toByteArray()), "zip file", "no META-INF/MANIFEST.MF");
    }

    @Test
    public void aJarWithoutTheModuleHeaderIsNoModule() throws IOException {
        assertRefused(file(jar(BSN, null)), "not a module", "no " + ModuleHeader.NAME + " header", BSN);
    }

    @Test
    public void aJarOfAnotherModuleOrBundleIsRefused() throws IOException {
        assertRefused(file(jar(BSN, "other;class=hotcode.x.Echo")), "is module other", "not a version of module " + MODULE);
        assertRefused(file(jar("other.bsn", MODULE + ";class=hotcode.x.Echo")), "of bundle other.bsn", "(bundle " + BSN + ")");
    }

    @Test
    public void aJarLargerThanTheLimitIsRefusedNamingIt() throws IOException {
        byte[] jar = jar(BSN, MODULE + ";class=hotcode.x.Echo");
        String url = file(jar);
        assertArrayEquals(jar, ModuleJar.read(url, MODULE, BSN, jar.length));
        assertRefused(url, jar.length - 1, "larger than " + (jar.length - 1) + " bytes");
        // a zip header followed by far more than the limit: read no further than the limit
        byte[] endless = new byte[3 << 20];
        System.arraycopy(jar, 0, endless, 0, 4);
        assertRefused(file(endless), 1 << 20, "larger than 1 MiB", "the most hotcode:load or a release reads");
    }
}
