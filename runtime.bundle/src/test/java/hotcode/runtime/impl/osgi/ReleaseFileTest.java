package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.code.ModuleHeader;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The release file: what it reads, and every bad input refused with its line before anything is touched. */
public class ReleaseFileTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private static byte[] jar(String bsn, String version, String moduleHeader) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) {
            mf.getMainAttributes().putValue("Bundle-SymbolicName", bsn + ";singleton:=true");
        }
        mf.getMainAttributes().putValue("Bundle-Version", version);
        if (moduleHeader != null) {
            mf.getMainAttributes().putValue(ModuleHeader.NAME, moduleHeader);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new ZipEntry("x/A.class"));
            jar.write(new byte[10]);
        }
        return out.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        Path p = tmp.getRoot().toPath().resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    private Path release(String text) throws IOException {
        return file("shop.release", text.getBytes(StandardCharsets.UTF_8));
    }

    private void jars() throws IOException {
        file("orders-2.jar", jar("shop.orders", "2.0.0", "orders;class=shop.Orders"));
        file("lib/stock-2.jar", jar("shop.stock", "2.1.0", "stock;class=shop.Stock"));
        file("records-2.jar", jar("shop.records", "2.0.0", null));
    }

    private String refused(String text, String... parts) throws IOException {
        Path r = release(text);
        HotcodeException e = assertThrows(HotcodeException.class, () -> ReleaseFile.read(r.toString()));
        String msg = e.getMessage();
        assertTrue("names the file: " + msg, msg.contains(r.toUri().toString()));
        assertTrue("says nothing was changed: " + msg, msg.contains("nothing was changed"));
        for (String p : parts) {
            assertTrue("mentions \"" + p + "\": " + msg, msg.contains(p));
        }
        return msg;
    }

    @Test
    public void aReleaseNamesItsBundlesWithJarsRelativeToTheFile() throws IOException {
        jars();
        Path abs = file("elsewhere/x.jar", jar("shop.extra", "1.0.0", null));
        Path r = release("""
                # the shop, release 2
                release: shop 2.0.0
                purge: true
                library shop.records records-2.jar   # records first
                module  shop.orders  orders-2.jar
                module shop.stock lib/stock-2.jar
                library shop.extra %s
                """.formatted(abs.toUri()));
        ReleaseFile.Release rel = ReleaseFile.read(r.toString());
        assertEquals("shop 2.0.0", rel.label());
        assertTrue(rel.purge());
        assertEquals(4, rel.bundles().size());
        ReleaseFile.Entry orders = rel.bundles().get(1);
        assertEquals(ReleaseFile.Kind.MODULE, orders.kind());
        assertEquals("orders", orders.module());
        assertEquals("2.0.0", orders.version());
        assertEquals(5, orders.line());
        assertArrayEquals(Files.readAllBytes(tmp.getRoot().toPath().resolve("orders-2.jar")), orders.jar());
        assertEquals("stock", rel.bundles().get(2).module());
        assertNull(rel.bundles().get(0).module());
        assertEquals(2, rel.of(ReleaseFile.Kind.LIBRARY).size() - 0 - 0);
        assertEquals("shop.extra", rel.bundles().get(3).symbolicName());
    }

    @Test
    public void purgeIsOffUnlessSaid() throws IOException {
        jars();
        assertFalse(ReleaseFile.read(release("release: shop 2\nmodule shop.orders orders-2.jar\n").toString()).purge());
    }

    @Test
    public void malformedLinesAreRefusedWithTheirLine() throws IOException {
        jars();
        refused("release: shop\nmodule shop.orders orders-2.jar\n", "line 1: expected \"release: <name> <version>\"");
        refused("release: shop 2\nmodule shop.orders\n", "line 2: expected \"module <bundle symbolic name> <jar path or URL>\"");
        refused("release: shop 2\nmodule shop.orders orders-2.jar\nupgrade everything\n",
                "line 3: \"upgrade everything\" is not a release line");
        refused("release: shop 2\npurge: yes\nmodule shop.orders orders-2.jar\n", "line 2: expected \"purge: true\"");
        refused("module shop.orders orders-2.jar\n", "no \"release: <name> <version>\" line");
        refused("release: shop 2\nrelease: shop 3\nmodule shop.orders orders-2.jar\n",
                "line 2: a second release: line (the first is line 1)");
        refused("release: shop 2\n# nothing\n", "no module or library line");
    }

    @Test
    public void everyProblemIsNamedAtOnce() throws IOException {
        jars();
        String msg = refused("release: shop 2\nmodule shop.orders\nlibrary shop.none none.jar\n",
                "line 2: expected", "line 3: no file");
        assertFalse(msg, msg.contains("line 1"));
    }

    @Test
    public void aBundleNamedTwiceIsRefused() throws IOException {
        jars();
        refused("release: shop 2\nmodule shop.orders orders-2.jar\n\nmodule shop.orders orders-2.jar\n",
                "line 4: bundle shop.orders is named twice (also on line 2)");
    }

    @Test
    public void twoVersionsOfOneModuleAreRefused() throws IOException {
        jars();
        file("orders-3.jar", jar("shop.orders3", "3.0.0", "orders;class=shop.Orders"));
        refused("release: shop 2\nmodule shop.orders orders-2.jar\nmodule shop.orders3 orders-3.jar\n",
                "line 3: two versions of module orders: bundle shop.orders3 3.0.0 here and bundle shop.orders 2.0.0 on line 2");
    }

    @Test
    public void aMissingFileIsRefused() throws IOException {
        jars();
        refused("release: shop 2\nmodule shop.orders orders-9.jar\n",
                "line 2: no file " + tmp.getRoot().toPath().resolve("orders-9.jar"), "module shop.orders");
        Path missing = tmp.getRoot().toPath().resolve("nope.release");
        HotcodeException e = assertThrows(HotcodeException.class, () -> ReleaseFile.read(missing.toString()));
        assertTrue(e.getMessage(), e.getMessage().contains("no release file " + missing));
    }

    @Test
    public void aJarThatIsNotABundleIsRefused() throws IOException {
        jars();
        file("plain.jar", jar(null, "1.0", null));
        file("text.jar", "hello".getBytes(StandardCharsets.UTF_8));
        refused("release: shop 2\nlibrary shop.plain plain.jar\n",
                "line 2:", "plain.jar is not a bundle: its manifest has no Bundle-SymbolicName");
        refused("release: shop 2\nlibrary shop.text text.jar\n", "line 2:", "text.jar is not a jar", "hello");
    }

    @Test
    public void aJarThatIsNotTheBundleOrKindItClaimsIsRefused() throws IOException {
        jars();
        refused("release: shop 2\nmodule shop.stock orders-2.jar\n",
                "line 2:", "orders-2.jar is bundle shop.orders, not shop.stock");
        refused("release: shop 2\nmodule shop.records records-2.jar\n",
                "line 2:", "(bundle shop.records 2.0.0) is not a module: it has no Hotcode-Module header; list it as a library");
        refused("release: shop 2\nlibrary shop.orders orders-2.jar\n",
                "line 2:", "(bundle shop.orders 2.0.0) is a module (Hotcode-Module: orders;class=shop.Orders); list it as a module");
        file("bad.jar", jar("shop.bad", "1.0.0", "9bad;class=x.Y"));
        refused("release: shop 2\nmodule shop.bad bad.jar\n", "line 2:", "invalid module name \"9bad\"");
    }

    @Test
    public void orderPutsAModuleBeforeAnotherAndKeepsTheFileOrderOtherwise() throws IOException {
        jars();
        file("pay-2.jar", jar("shop.pay", "2.0.0", "pay;class=shop.Pay"));
        ReleaseFile.Release rel = ReleaseFile.read(release("""
                release: shop 2
                module shop.orders orders-2.jar
                library shop.records records-2.jar
                module shop.pay pay-2.jar
                module shop.stock lib/stock-2.jar
                order: stock before orders
                """).toString());
        assertEquals(List.of("shop.stock", "shop.records", "shop.orders", "shop.pay"),
                rel.bundles().stream().map(ReleaseFile.Entry::symbolicName).toList());
    }

    @Test
    public void badOrderLinesAreRefused() throws IOException {
        jars();
        String two = "release: shop 2\nmodule shop.orders orders-2.jar\nmodule shop.stock lib/stock-2.jar\n";
        refused(two + "order: stock after orders\n", "line 4: expected \"order: <module> before <another module>\"");
        refused(two + "order: stock before stock\n", "line 4: expected");
        refused(two + "order: shop.stock before orders\n",
                "line 4: order: shop.stock is not a module of this release (its modules: [orders, stock])");
        refused(two + "order: stock before orders\norder: orders before stock\n", "the order: lines [4, 5] form a cycle");
    }

    @Test
    public void relativePathsResolveAgainstTheReleaseFileNotTheWorkingDirectory() throws IOException {
        file("sub/orders-2.jar", jar("shop.orders", "2.0.0", "orders;class=shop.Orders"));
        Path r = file("sub/shop.release", "release: shop 2\nmodule shop.orders orders-2.jar\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(r.getParent().resolve("orders-2.jar").toUri().toString(),
                ReleaseFile.read(r.toUri().toString()).bundles().get(0).url());
    }
}
