package hotcode.runtime.testsupport;

import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleRevision;
import hotcode.runtime.impl.code.ModuleSource;
import hotcode.runtime.impl.code.ModuleVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loads test module classes the way the extender loads bundle revisions, without OSGi: each load gets a class loader
 * of its own that defines the entry class (and its nested classes) itself and delegates everything else (the runtime
 * API, the JDK) to the test class path. So two loads are two distinct versions with their own classes, and code of
 * the test itself (lambdas spawned by tests) belongs to no module version.
 */
public final class Modules {
    private static final AtomicLong BUNDLE_IDS = new AtomicLong(100);
    /** A module's versions are revisions of one bundle: every load of a module gets its bundle's id. */
    private static final java.util.Map<String, Long> BUNDLE_OF = new java.util.concurrent.ConcurrentHashMap<>();

    private Modules() {
    }

    /** Loads {@code entry} as a new version of {@code module} (bundle symbolic name {@code test.<module>}). */
    public static ModuleVersion load(Kernel k, String module, Class<?> entry, String version) {
        return k.code().load(source(module, entry, version));
    }

    /** What {@link #load} loads: a new version of {@code module} made of {@code entry}, for the code server's entry points. */
    public static ModuleSource source(String module, Class<?> entry, String version) {
        ModuleHeader header = ModuleHeader.parse(module + ";class=" + entry.getName(), "test bundle test." + module);
        ClassLoader loader = new VersionLoader(entry.getName(), version, entry.getClassLoader());
        return new ModuleSource(header, "test." + module, version,
                BUNDLE_OF.computeIfAbsent(module, m -> BUNDLE_IDS.incrementAndGet()),
                "test:" + module + "/" + version, ModuleRevision.detached(), loader);
    }

    /**
     * {@link ModuleSource#internal}, but with {@code entry} loaded as {@link #load} loads it (its own loader, which
     * knows the version), so the internal module's functions can run {@link hotcode.runtime.testmod.Mod}'s code.
     */
    public static ModuleSource internal(String module, Class<?> entry, String version, long bundleId) {
        ModuleSource plain = ModuleSource.internal(module, entry, version, bundleId);
        return new ModuleSource(plain.header(), plain.symbolicName(), version, bundleId, plain.location(),
                plain.revision(), new VersionLoader(entry.getName(), version, entry.getClassLoader()), true);
    }

    /**
     * The version {@code type} was loaded as by {@link #load}, e.g. {@code "2.0.0"}: how one class loaded as several
     * versions (as a bundle's revisions would carry their Bundle-Version) tells them apart.
     */
    public static String versionOf(Class<?> type) {
        if (type.getClassLoader() instanceof VersionLoader v) {
            return v.version;
        }
        throw new IllegalStateException(type.getName() + " was not loaded by Modules.load, so it has no module version");
    }

    /** Child-first for one class and its nested classes, parent-first for everything else. */
    static final class VersionLoader extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final String entry;
        private final String version;

        VersionLoader(String entry, String version, ClassLoader parent) {
            super("version-of-" + entry, parent);
            this.entry = entry;
            this.version = version;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(entry) && !name.startsWith(entry + "$")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes = bytesOf(name);
                    c = defineClass(name, bytes, 0, bytes.length);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }

        private byte[] bytesOf(String name) throws ClassNotFoundException {
            String resource = name.replace('.', '/') + ".class";
            try (InputStream in = getParent().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
