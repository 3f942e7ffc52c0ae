package hotcode.runtime.impl.osgi;

import org.junit.Test;
import org.osgi.framework.wiring.BundleWiring;

import java.io.DataInputStream;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** The warm-up of a new version before it becomes current: the classes its code names, loaded, none initialized. */
public class ClassPreloaderTest {
    /** Stands for a module's class: names other classes, has two-slot constants, and says when it is initialized. */
    public static final class Sample {
        static final long BIG = 1L << 40;
        static final double HALF = 0.5;

        static {
            SAMPLE_INITIALIZED.set(true);
        }

        public static Object use() {
            LongAdder a = new LongAdder();
            a.add(BIG + (long) HALF);
            return Helper.sums().length + a.sum();
        }
    }

    /** A class of the same bundle that only {@link Sample} names: its own names are warmed too. */
    public static final class Helper {
        static CRC32[] sums() {
            return new CRC32[1];
        }
    }

    /** A class of the same bundle that nothing reached from the entry class names: not warmed. */
    public static final class Unreached {
        public static Object use() {
            return new java.util.zip.Adler32();
        }
    }

    /** Outside {@link Sample}: reading a field of Sample would initialize it. */
    static final java.util.concurrent.atomic.AtomicBoolean SAMPLE_INITIALIZED = new java.util.concurrent.atomic.AtomicBoolean();
    private static final String SAMPLE = Sample.class.getName().replace('.', '/');
    private static final String HELPER = Helper.class.getName().replace('.', '/');
    private static final String UNREACHED = Unreached.class.getName().replace('.', '/');

    @Test
    public void theConstantPoolNamesTheClassesTheCodeUses() throws Exception {
        Set<String> names = new HashSet<>();
        try (InputStream in = Sample.class.getClassLoader().getResourceAsStream(SAMPLE + ".class")) {
            ClassPreloader.classesNamedIn(new DataInputStream(in), names);
        }
        assertTrue(names.toString(), names.contains(SAMPLE));
        assertTrue(names.toString(), names.contains("java/util/concurrent/atomic/LongAdder"));
        assertTrue(names.toString(), names.contains(HELPER));
        names.clear();
        try (InputStream in = Helper.class.getClassLoader().getResourceAsStream(HELPER + ".class")) {
            ClassPreloader.classesNamedIn(new DataInputStream(in), names);
        }
        assertTrue("an array's element class: " + names, names.contains("java/util/zip/CRC32"));
    }

    @Test
    public void warmLoadsWhatTheEntryClassReachesThroughTheBundlesLoaderAndInitializesNothing() {
        Set<String> asked = ConcurrentHashMap.newKeySet();
        ClassLoader recording = new ClassLoader(ClassPreloaderTest.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                asked.add(name);
                return super.loadClass(name, resolve);
            }
        };
        BundleWiring wiring = (BundleWiring) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleWiring.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "listResources" -> List.of(SAMPLE + ".class", HELPER + ".class", UNREACHED + ".class");
                    default -> throw new UnsupportedOperationException(m.getName());
                });

        int loaded = ClassPreloader.warm(wiring, recording, Sample.class.getName());

        assertTrue(asked.toString(), asked.contains(Sample.class.getName()));
        assertTrue(asked.toString(), asked.contains(LongAdder.class.getName()));
        assertTrue("named by a class of the bundle the entry names: " + asked, asked.contains(CRC32.class.getName()));
        assertFalse("not reached from the entry class: " + asked, asked.contains(Unreached.class.getName()));
        assertFalse("named only by a class not reached: " + asked, asked.contains("java.util.zip.Adler32"));
        assertEquals(asked.size(), loaded);
        assertFalse("warming must not run the module's static initializers", SAMPLE_INITIALIZED.get());
    }
}
