package hotcode.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.FrameworkWiring;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.ModuleInfo;

/**
 * A module's life in a test, the way an operator drives it from the console: install a module bundle, {@code update}
 * it to another version's jar (the runtime loads the new version, migrates its servers, keeps the old code for the
 * processes still on it), {@code refresh} it (the purge of the old code), and what the code server then holds.
 * Called from test methods, inside the framework; bundles are installed through the kit's bundle context.
 *
 * <pre>
 * Bundle b = Modules.install(Modules.jar("mymodule.v1.jar"));
 * ...
 * Modules.update(b, Modules.jar("mymodule.v2.jar"));
 * assertEquals("2.0.0", Modules.currentVersion("mymodule"));
 * Modules.refreshAndAwaitPurge(b);     // no old code left
 * </pre>
 */
public final class Modules {
    /** The manifest header that makes a bundle a Hotcode module (written by bnd from {@code @Module}). */
    public static final String MODULE_HEADER = "Hotcode-Module";

    private Modules() {
    }

    /** The bundle context of the kit's bundle (the tests' way into the framework). */
    public static BundleContext context() {
        Bundle kit = FrameworkUtil.getBundle(Modules.class);
        if (kit == null || kit.getBundleContext() == null) {
            throw new IllegalStateException("hotcode.testing.Modules runs inside the framework, from a test method,"
                    + " with the kit's bundle started (HotcodeExam.options() installs it)");
        }
        return kit.getBundleContext();
    }

    /**
     * The {@code file:} URL of a jar named by a system property, e.g. {@code mymodule.v2.jar} set by failsafe's
     * {@code <systemPropertyVariables>} to the jar the build made; fails naming the property or the missing file.
     */
    public static String jar(String systemProperty) {
        String value = System.getProperty(systemProperty);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the system property " + systemProperty + " is not set (set it to the"
                    + " module's jar, e.g. in failsafe's <systemPropertyVariables>)");
        }
        return HotcodeExam.toUrl(value.trim(), "-D" + systemProperty);
    }

    /**
     * Installs the module bundle at {@code url} and starts it: the runtime loads it as its module's current version.
     * Fails naming the jar when the bundle does not start (e.g. the runtime refused its {@value #MODULE_HEADER}).
     */
    public static Bundle install(String url) throws BundleException {
        Bundle b = context().installBundle(url);
        try {
            b.start();
        } catch (BundleException e) {
            throw new BundleException("the module bundle " + url + " (" + b.getSymbolicName() + " "
                    + b.getVersion() + ") did not start: " + e.getMessage(), e.getType(), e);
        }
        return b;
    }

    /**
     * Updates {@code bundle} to the jar at {@code url} ({@link Bundle#update(InputStream)}: the console's
     * {@code update <id> <url>}; the bundle keeps its location). The runtime loads the new version and migrates the
     * module's servers ({@code codeChange}) before this returns; processes that were in the old version's code stay
     * on it until the purge ({@link #refreshAndAwaitPurge}). A failed migration rolls the whole module back and this
     * throws the {@link BundleException} that says so.
     */
    public static void update(Bundle bundle, String url) throws BundleException, IOException {
        try (InputStream in = open(url)) {
            bundle.update(in);
        }
    }

    /**
     * Refreshes {@code bundles} ({@link FrameworkWiring#refreshBundles}) and waits for the framework's
     * {@code PACKAGES_REFRESHED}; a refresh of a module bundle purges the module's old code, on the refresh thread,
     * before that event. Fails if the refresh ends with an error event or does not finish in time.
     */
    public static void refresh(Bundle... bundles) throws InterruptedException {
        FrameworkWiring wiring = context().getBundle(0).adapt(FrameworkWiring.class);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<FrameworkEvent> event = new AtomicReference<>();
        wiring.refreshBundles(List.of(bundles), e -> {
            event.set(e);
            done.countDown();
        });
        long timeout = Await.timeoutSeconds();
        if (!done.await(timeout, TimeUnit.SECONDS)) {
            throw new AssertionError("the refresh of " + names(bundles) + " did not finish within " + timeout + " s");
        }
        FrameworkEvent e = event.get();
        if (e.getType() != FrameworkEvent.PACKAGES_REFRESHED) {
            AssertionError error = new AssertionError("the refresh of " + names(bundles) + " ended with event type "
                    + e.getType() + " (not PACKAGES_REFRESHED): " + e.getThrowable());
            error.initCause(e.getThrowable());
            throw error;
        }
    }

    /**
     * Refreshes the module bundle {@code bundle} and waits until its module has no old code left (the purge killed
     * the processes that were still on it; watch them with an {@link Inbox.Monitor} first to see them go).
     */
    public static void refreshAndAwaitPurge(Bundle bundle) throws InterruptedException {
        String module = moduleName(bundle);
        refresh(bundle);
        awaitPurged(module);
    }

    /** Waits until {@code module} has no old code ({@link ModuleInfo#old()} empty). */
    public static void awaitPurged(String module) throws InterruptedException {
        Await.until("the purge of " + module + "'s old code (now " + code().which(module).orElse(null) + ")",
                () -> code().which(module).map(i -> i.old().isEmpty()).orElse(true));
    }

    /** The module name of a module bundle: the first clause of its {@value #MODULE_HEADER} header. */
    public static String moduleName(Bundle bundle) {
        String header = bundle.getHeaders("").get(MODULE_HEADER);
        if (header == null || header.isBlank()) {
            throw new AssertionError(bundle.getSymbolicName() + " " + bundle.getVersion() + " has no "
                    + MODULE_HEADER + " header: not a Hotcode module (did bnd see its @Module class?)");
        }
        return header.split("[;,]", 2)[0].trim();
    }

    /** The code server. */
    public static CodeServer code() {
        return Hotcode.codeServer();
    }

    /** What the code server holds for {@code module}; fails if it does not know it. */
    public static ModuleInfo which(String module) {
        return code().which(module).orElseThrow(() -> new AssertionError("the code server does not know " + module));
    }

    /** The bundle version of {@code module}'s current version, e.g. {@code "1.0.0"}; fails if there is none. */
    public static String currentVersion(String module) {
        return which(module).current()
                .orElseThrow(() -> new AssertionError(module + " has no current version: " + which(module)))
                .version();
    }

    /** The installed bundle {@code symbolicName} (the one installed first, if several); fails if there is none. */
    public static Bundle bundle(String symbolicName) {
        for (Bundle b : context().getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError(symbolicName + " is not installed");
    }

    private static InputStream open(String url) throws IOException {
        try {
            URI uri = new URI(url);
            if ("file".equals(uri.getScheme())) {
                Path p = Paths.get(uri);
                if (!Files.isRegularFile(p)) {
                    throw new IOException("missing jar " + p);
                }
                return Files.newInputStream(p);
            }
            return uri.toURL().openStream();
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("not a URL: " + url, e);
        }
    }

    private static String names(Bundle... bundles) {
        StringBuilder sb = new StringBuilder();
        for (Bundle b : bundles) {
            sb.append(sb.length() == 0 ? "" : ", ").append(b.getSymbolicName()).append(" ").append(b.getVersion());
        }
        return sb.toString();
    }
}
