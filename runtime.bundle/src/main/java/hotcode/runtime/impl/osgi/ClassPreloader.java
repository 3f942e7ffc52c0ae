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
public final class ClassPreloader {
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
     * At most this many classes are loaded by one {@link #warm}, so a module bundle that embeds a library stays cheap to
     * load: the configuration's {@code hotcode.load.preload.classes} (default 512; 0 turns warming off, and classes
     * load lazily, when the code first names them).
     */
    private static volatile int warmLimit = 512;

    /** The configuration's {@code hotcode.load.preload.classes}. */
    public static void warmLimit(int classes) {
        warmLimit = classes;
    }

    /**
     * Warms a new version before it becomes current: loads, through its bundle's class loader, the classes its code
     * names, starting at the entry class {@code entry}: the classes in its constant pool, and transitively those of
     * every class of the bundle itself reached so, at most {@code hotcode.load.preload.classes}. Without this, the first time the new
     * code runs, each class it names is resolved by an upcall into the bundle's class loader (Felix's delegation to
     * the exporting bundle, microseconds each); that happened at the switch, on the first message each process
     * handled in the new version, so it was a gap in the stream. Loaded here, each name is already in the JVM's table
     * of that loader and resolves without leaving the JVM. Nothing is initialized (no module code runs); a name that
     * cannot be loaded is skipped: it fails, as before, only if the code really uses it. Returns how many classes
     * were loaded.
     */
    static int warm(BundleWiring wiring, ClassLoader loader, String entry) {
        return warm(wiring, loader, entry, warmLimit);
    }

    static int warm(BundleWiring wiring, ClassLoader loader, String entry, int limit) {
        if (limit <= 0) {
            return 0;
        }
        if (wiring == null || loader == null || entry == null) {
            return 0;
        }
        Set<String> own = new HashSet<>(); // the bundle's own class files, by internal name
        for (String r : wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_RECURSE | BundleWiring.LISTRESOURCES_LOCAL)) {
            own.add(r.substring(0, r.length() - ".class".length()));
        }
        Set<String> names = new java.util.LinkedHashSet<>();
        java.util.ArrayDeque<String> toScan = new java.util.ArrayDeque<>();
        String first = entry.replace('.', '/');
        names.add(first);
        toScan.add(first);
        while (!toScan.isEmpty() && names.size() < limit) {
            String c = toScan.poll();
            Set<String> named = new HashSet<>();
            try (InputStream in = loader.getResourceAsStream(c + ".class")) {
                if (in != null) {
                    classesNamedIn(new DataInputStream(in), named);
                }
            } catch (IOException | RuntimeException e) {
                // a class file we cannot read: it is loaded below all the same, and fails there if it is bad
            }
            for (String n : named) {
                if (names.add(n) && own.contains(n)) {
                    toScan.add(n);
                }
            }
        }
        int loaded = 0;
        for (String internal : names) {
            if (loaded >= limit) {
                break;
            }
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
