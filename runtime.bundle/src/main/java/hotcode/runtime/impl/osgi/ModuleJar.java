package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.code.ModuleHeader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The jar that {@code hotcode:load <module> <url>} reads: read whole (the bundle is updated from these bytes), but
 * at most {@link #MAX_BYTES} (256 MiB), so that a url such as {@code file:/dev/zero} can neither hang the load nor
 * exhaust memory (and a url that stops sending fails after 30 s); then checked to be a version of the module before any bundle is touched. Each refusal names the
 * url and says what the file is instead (empty, text, other bytes, a zip without manifest, a jar without the
 * {@code Hotcode-Module} header, another module).
 */
final class ModuleJar {
    /** The largest module jar {@code load} reads: 256 MiB. */
    static final long MAX_BYTES = 256L << 20;
    /** The largest manifest read from it, so a small jar cannot inflate to an endless one. */
    private static final int MAX_MANIFEST_BYTES = 16 << 20;
    private static final String MANIFEST = "META-INF/MANIFEST.MF";
    /** How many bytes are read first to tell a zip from anything else, and shown when it is not one. */
    private static final int HEAD = 64;
    /** How long connecting to the url, and each read from it, may take. */
    private static final int TIMEOUT_MS = 30_000;

    private ModuleJar() {
    }

    /** The bytes at {@code url}, checked to be a jar of {@code module} in the bundle {@code symbolicName}. */
    static byte[] read(String url, String module, String symbolicName) {
        return read(url, module, symbolicName, MAX_BYTES);
    }

    /** {@link #read(String, String, String)} with another size limit (for tests). */
    static byte[] read(String url, String module, String symbolicName, long maxBytes) {
        byte[] jar = bytes("load: ", url, maxBytes);
        Manifest mf = manifest("load: ", url, jar);
        String name = mf.getMainAttributes().getValue("Bundle-SymbolicName");
        String bsn = name == null ? null : name.split(";")[0].trim();
        String bundle = bsn == null ? "a plain jar without Bundle-SymbolicName" : "bundle " + bsn;
        String header = mf.getMainAttributes().getValue(ModuleHeader.NAME);
        if (header == null) {
            throw new HotcodeException("load: " + url + " is not a module: it has no " + ModuleHeader.NAME
                    + " header (it is " + bundle + ")");
        }
        String declared = ModuleHeader.parse(header, url).module();
        if (!declared.equals(module) || !symbolicName.equals(bsn)) {
            throw new HotcodeException("load: " + url + " is module " + declared + " of " + bundle
                    + ", not a version of module " + module + " (bundle " + symbolicName + ")");
        }
        return jar;
    }

    /**
     * The bytes at {@code url} and their manifest, for a reader that checks the headers itself (a release file's
     * bundles); errors begin with {@code prefix}.
     */
    static Jar readJar(String prefix, String url) {
        byte[] jar = bytes(prefix, url, MAX_BYTES);
        return new Jar(jar, manifest(prefix, url, jar));
    }

    /** A jar read whole, and its manifest. */
    record Jar(byte[] bytes, Manifest manifest) {
        /** Its Bundle-SymbolicName without directives, or null when it has none (a plain jar, not a bundle). */
        String symbolicName() {
            String name = manifest.getMainAttributes().getValue("Bundle-SymbolicName");
            return name == null ? null : name.split(";")[0].trim();
        }

        String header(String name) {
            return manifest.getMainAttributes().getValue(name);
        }
    }

    /** The bytes at {@code url}, refused as soon as they cannot be a jar (its first bytes) or pass {@code maxBytes}. */
    private static byte[] bytes(String prefix, String url, long maxBytes) {
        InputStream in;
        try {
            URL u = new URL(url);
            // a file: url of a directory reads as a listing of its files: say what it is instead
            if ("file".equals(u.getProtocol()) && isDirectory(u)) {
                throw new HotcodeException(prefix + url + " is a directory, not a jar");
            }
            URLConnection c = u.openConnection();
            // a url that stops sending (a stalled server) fails the load instead of holding it forever
            c.setConnectTimeout(TIMEOUT_MS);
            c.setReadTimeout(TIMEOUT_MS);
            in = c.getInputStream();
        } catch (IOException | IllegalArgumentException e) {
            throw new HotcodeException(prefix + "cannot read " + url + ": " + e);
        }
        try (in) {
            byte[] head = in.readNBytes(HEAD);
            // a jar is a zip: it begins with a zip record's signature, "PK" (a local file header, or an empty zip's end)
            if (head.length < 2 || head[0] != 'P' || head[1] != 'K') {
                throw new HotcodeException(prefix + url + " is not a jar (a jar is a zip file, which begins with PK): "
                        + describe(head));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(head);
            byte[] buffer = new byte[64 << 10];
            for (int n; out.size() <= maxBytes && (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
            if (out.size() > maxBytes) {
                throw new HotcodeException(prefix + url + " is larger than " + size(maxBytes)
                        + ", the most hotcode:load or a release reads for a jar");
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new HotcodeException(prefix + "cannot read " + url + ": " + e);
        }
    }

    /**
     * Checks that {@code jar} is a whole zip: its end record is there (a copy that stopped half way lacks it, though
     * the manifest at the front may read fine) and every entry reads to its end with a matching checksum.
     */
    static void checkWhole(String prefix, String url, byte[] jar) {
        if (!hasEndRecord(jar)) {
            throw new HotcodeException(prefix + url + " is not a whole jar (" + size(jar.length)
                    + " with no zip end record): perhaps still being written");
        }
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            while (in.getNextEntry() != null) {
                in.transferTo(OutputStream.nullOutputStream()); // checks the entry's size and CRC at its end
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new HotcodeException(prefix + url + " is not a whole jar: " + e);
        }
    }

    /** Whether the zip end-of-central-directory signature (PK 5 6) is in the last 64 KiB + 22 bytes, where it must be. */
    private static boolean hasEndRecord(byte[] jar) {
        int stop = Math.max(0, jar.length - 0xFFFF - 22);
        for (int i = jar.length - 22; i >= stop; i--) {
            if (jar[i] == 'P' && jar[i + 1] == 'K' && jar[i + 2] == 5 && jar[i + 3] == 6) {
                return true;
            }
        }
        return false;
    }

    private static Manifest manifest(String prefix, String url, byte[] jar) {
        // every entry is looked at, not only the first two as JarInputStream does: Felix finds the manifest anywhere
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equalsIgnoreCase(MANIFEST)) {
                    byte[] mf = in.readNBytes(MAX_MANIFEST_BYTES + 1);
                    if (mf.length > MAX_MANIFEST_BYTES) {
                        throw new HotcodeException(prefix + url + " has a manifest larger than "
                                + size(MAX_MANIFEST_BYTES) + ", so it is not read as a module bundle");
                    }
                    return new Manifest(new ByteArrayInputStream(mf));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new HotcodeException(prefix + url + " is not a readable jar: " + e);
        }
        throw new HotcodeException(prefix + url + " is a zip file with no " + MANIFEST
                + ", so it is not a module bundle");
    }

    private static boolean isDirectory(URL u) {
        try {
            return Files.isDirectory(Path.of(u.toURI()));
        } catch (Exception e) {
            return false; // not a plain path: opening it says what is wrong
        }
    }

    /** What the first bytes of a file that is not a jar look like: empty, text (quoted), or other bytes (in hex). */
    private static String describe(byte[] head) {
        if (head.length == 0) {
            return "it is empty";
        }
        boolean text = true;
        for (byte b : head) {
            text &= b >= 0x20 || b == '\n' || b == '\r' || b == '\t' || b < 0; // b < 0: part of a UTF-8 character
        }
        if (text) {
            String s = new String(head, StandardCharsets.UTF_8).replace("\r", "\\r").replace("\n", "\\n")
                    .replace("\t", "\\t");
            return "it is text, beginning \"" + s + (head.length == HEAD ? "…" : "") + "\"";
        }
        StringBuilder hex = new StringBuilder("it begins with the bytes");
        for (int i = 0; i < Math.min(8, head.length); i++) {
            hex.append(String.format(" %02x", head[i] & 0xff));
        }
        return hex.toString();
    }

    private static String size(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }
}
