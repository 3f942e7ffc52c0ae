package hotcode.console;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * The entry point of {@code hotcode-console.jar}: checks what the console needs, then hands over to bnd's launcher
 * ({@code aQute.launcher.pre.EmbeddedLauncher}), which starts Felix with the bundles inside the jar.
 *
 * <p>Compiled for Java 8 on purpose: on an older JDK the launcher, Felix and the runtime would fail with a class
 * version error or an unresolved bundle; this class still runs there and says which JDK the console needs.
 *
 * <p>Settings (system properties, {@code java -Dname=value -jar hotcode-console.jar}):
 * <ul>
 * <li>{@value #CACHE}: the framework's cache folder, emptied on every start; default {@code felix-cache} in the
 * current folder.</li>
 * <li>{@code hotcode.deploy.dir}: the deploy folder the runtime watches; default {@code deploy} in the current
 * folder.</li>
 * <li>{@code gosh.args}: options of the Gogo shell; by default {@code --nohistory} when standard input is not a
 * terminal (a piped script does not go into {@code ~/.gogo.history}).</li>
 * </ul>
 */
public final class Main {
    /** The JDK the runtime is compiled for (its bundles require {@code osgi.ee=JavaSE 21}). */
    static final int MIN_JAVA = 21;

    /** The system property naming the framework's cache folder. */
    static final String CACHE = "hotcode.console.cache";

    /** bnd's launcher reads its storage folder from this property; a system property overrides the jar's value. */
    private static final String LAUNCH_STORAGE = "launch.storage.dir";

    private Main() {
    }

    public static void main(String[] args) throws Throwable {
        int java = javaVersion(System.getProperty("java.specification.version"));
        if (java < MIN_JAVA) {
            fail("needs Java " + MIN_JAVA + " or newer; this is Java " + System.getProperty("java.version") + " ("
                    + System.getProperty("java.home") + "). Run it with a JDK " + MIN_JAVA
                    + "+: /path/to/jdk-" + MIN_JAVA + "/bin/java -jar hotcode-console.jar");
        }
        File cache = new File(System.getProperty(CACHE, "felix-cache")).getAbsoluteFile();
        String problem = unwritable(cache);
        if (problem != null) {
            fail("cannot keep its framework cache in " + cache + ": " + problem + ". Start it in a folder you can"
                    + " write to, or choose the cache folder: java -D" + CACHE
                    + "=/tmp/hotcode-cache -jar hotcode-console.jar");
        }
        System.setProperty(LAUNCH_STORAGE, cache.getPath());
        if (System.getProperty("gosh.args") == null && !isTerminal()) {
            System.setProperty("gosh.args", "--nohistory");
        }
        // Piped input has no terminal: JLine then falls back to a dumb one, which is what we want, without its warning.
        if (System.getProperty("org.jline.terminal.dumb") == null) {
            System.setProperty("org.jline.terminal.dumb", "true");
        }
        Method launcher = Class.forName("aQute.launcher.pre.EmbeddedLauncher").getMethod("main", String[].class);
        try {
            launcher.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The feature release of a {@code java.specification.version}: 8 for "1.8", 21 for "21"; 0 if unreadable. */
    static int javaVersion(String spec) {
        if (spec == null) {
            return 0;
        }
        String s = spec.startsWith("1.") ? spec.substring(2) : spec;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Why the launcher could not create, empty and write {@code dir} (it deletes the folder and creates it again on
     * every start), or null if it can.
     */
    static String unwritable(File dir) {
        File existing = dir;
        while (existing != null && !existing.exists()) {
            existing = existing.getParentFile();
        }
        if (existing == null) {
            return "no part of that path exists";
        }
        if (!existing.isDirectory()) {
            return existing + " is not a folder";
        }
        File parent = dir.getParentFile();
        // The cache itself is deleted and made again, so its parent must take changes too.
        File mustWrite = existing.equals(dir) && parent != null ? parent : existing;
        if (!mustWrite.canWrite()) {
            return mustWrite + " is not writable";
        }
        try {
            File probe = File.createTempFile(".hotcode-console", ".probe", mustWrite);
            probe.delete();
        } catch (IOException | SecurityException e) {
            return mustWrite + " is not writable (" + e.getMessage() + ")";
        }
        return null;
    }

    /** Whether standard input is a terminal: {@code Console.isTerminal()} on JDK 22+, else whether there is one. */
    private static boolean isTerminal() {
        Object console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) console.getClass().getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true;
        }
    }

    private static void fail(String message) {
        System.err.println("hotcode-console: " + message);
        System.exit(1);
    }
}
