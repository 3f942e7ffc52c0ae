package hotcode.runtime.impl.osgi;

import org.osgi.framework.wiring.BundleWiring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A module version's jar, rebuilt from its bundle revision's entries: what a rolled-back upgrade restores the bundle
 * to. The revision is kept by its anchor, so its content is still there after the bundle was updated.
 */
final class JarRebuild {
    private static final String MANIFEST = "META-INF/MANIFEST.MF";

    private JarRebuild() {
    }

    static byte[] of(BundleWiring wiring) throws IOException {
        List<URL> entries = wiring.findEntries("/", "*", BundleWiring.FINDENTRIES_RECURSE);
        Manifest manifest = null;
        for (URL u : entries) {
            if (path(u).equals(MANIFEST)) {
                try (InputStream in = u.openStream()) {
                    manifest = new Manifest(in);
                }
            }
        }
        if (manifest == null) {
            throw new IOException("the revision has no " + MANIFEST);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(out, manifest)) {
            for (URL u : entries) {
                String p = path(u);
                if (p.isEmpty() || p.endsWith("/") || p.equals(MANIFEST) || p.equals("META-INF/")) {
                    continue;
                }
                jar.putNextEntry(new JarEntry(p));
                try (InputStream in = u.openStream()) {
                    in.transferTo(jar);
                }
                jar.closeEntry();
            }
        }
        return out.toByteArray();
    }

    private static String path(URL u) {
        String p = u.getPath();
        return p.startsWith("/") ? p.substring(1) : p;
    }
}
