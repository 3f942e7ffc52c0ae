package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleVersion;
import org.osgi.framework.wiring.BundleWiring;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Loads classes of a module's bundle ahead of the code that needs them. {@link #loadAll}: every class of a version's
 * bundle while its wiring is still valid. Used just before a refresh disposes the
 * wiring of the current version: after that, code already running keeps working only with classes already loaded.
 */
final class ClassPreloader {
    private ClassPreloader() {
    }

    static void loadAll(ModuleVersion v) {
        BundleWiring wiring = BundleModuleRevision.wiringOf(v);
        if (wiring == null) {
            return;
        }
        Collection<String> resources = wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_RECURSE | BundleWiring.LISTRESOURCES_LOCAL);
        int loaded = 0;
        for (String r : resources) {
            String name = r.substring(0, r.length() - ".class".length()).replace('/', '.');
            if (name.endsWith("module-info") || name.endsWith("package-info")) {
                continue;
            }
            try {
                Class.forName(name, false, v.loader());
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                Log.warn(v.label() + ": could not preload " + name + " before the refresh: " + e);
            }
        }
        Log.info("refresh of " + v.label() + " (current): loaded its " + loaded + " classes so its processes keep running");
    }

    /**
     * Warms a new version before it becomes current: loads, through its bundle's class loader, every class of the
     * bundle and every class their constant pools name. Without this, the first time the new code runs, each class it
     * names is resolved by an upcall into the bundle's class loader (Felix's delegation to the exporting bundle, a
     * few microseconds each); that happened at the switch, on the first message each process handled in the new
     * version, so it was a gap in the stream. Loaded here, each name is already in the JVM's table of that loader and
     * resolves without leaving the JVM. Nothing is initialized (no module code runs); a name that cannot be loaded is
     * skipped: it fails, as before, only if the code really uses it. Returns how many classes were loaded.
     */
    static int warm(BundleWiring wiring, ClassLoader loader) {
        if (wiring == null || loader == null) {
            return 0;
        }
        Set<String> names = new HashSet<>();
        for (String r : wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_RECURSE | BundleWiring.LISTRESOURCES_LOCAL)) {
            String own = r.substring(0, r.length() - ".class".length());
            if (own.endsWith("module-info") || own.endsWith("package-info")) {
                continue;
            }
            names.add(own);
            try (InputStream in = loader.getResourceAsStream(r)) {
                if (in != null) {
                    classesNamedIn(new DataInputStream(in), names);
                }
            } catch (IOException | RuntimeException e) {
                // a class file we cannot read: its own class is still loaded below, and fails there if it is bad
            }
        }
        int loaded = 0;
        for (String internal : names) {
            try {
                Class.forName(internal.replace('/', '.'), false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                // an optional dependency, or one the code never reaches: left to fail where it is used
            }
        }
        return loaded;
    }

    /** Adds the class names (internal form, arrays' element classes) of a class file's constant pool to {@code out}. */
    static void classesNamedIn(DataInputStream in, Set<String> out) throws IOException {
        if (in.readInt() != 0xCAFEBABE) {
            return;
        }
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        int n = in.readUnsignedShort();
        String[] utf8 = new String[n];
        int[] classRefs = new int[n];
        int nRefs = 0;
        for (int i = 1; i < n; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> classRefs[nRefs++] = in.readUnsignedShort();
                case 8, 16, 19, 20 -> in.readUnsignedShort(); // String, MethodType, Module, Package
                case 15 -> in.skipNBytes(3); // MethodHandle
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt(); // Integer, Float, refs, NameAndType, (Invoke)Dynamic
                case 5, 6 -> { // Long, Double: two slots
                    in.readLong();
                    i++;
                }
                default -> throw new IOException("constant pool tag " + tag + " at " + i);
            }
        }
        for (int k = 0; k < nRefs; k++) {
            String name = utf8[classRefs[k]];
            if (name == null) {
                continue;
            }
            if (name.startsWith("[")) {
                int l = name.indexOf('L');
                if (l < 0) {
                    continue; // an array of primitives
                }
                name = name.substring(l + 1, name.length() - 1);
            }
            out.add(name);
        }
    }
}
