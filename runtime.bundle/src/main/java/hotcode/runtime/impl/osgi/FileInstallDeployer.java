package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.log.Log;
import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.io.File;
import java.io.IOException;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Module jars in FileInstall's watched folders (Karaf's {@code deploy/}, {@code felix.fileinstall.dir}) deploy the
 * way the runtime's own deploy folder does: a new module is installed and started, a running one gets the jar as its
 * next version with no refresh, and the old version is soft-purged once no process runs it.
 *
 * <p>Left to itself, FileInstall updates a changed bundle and refreshes the bundles it touched (a refresh is a purge,
 * which kills every process still running the old version), and nothing ever soft-purges the old version. FileInstall asks its {@link ArtifactInstaller}s before it treats a
 * file as a bundle, so this installer claims the jars that carry a {@code Hotcode-Module} header and hands them to a
 * {@link DeployFolder} that watches nothing itself; every other file (plain bundles, configurations) stays
 * FileInstall's. Removing a module jar uninstalls nothing, as in the deploy folder: an uninstall is a purge too.
 * Registered only when the runtime is wired to FileInstall's package (its import is optional).
 */
public final class FileInstallDeployer implements ArtifactInstaller, AutoCloseable {
    private final DeployFolder deploy;
    private ServiceRegistration<?> registration;

    private FileInstallDeployer(DeployFolder deploy) {
        this.deploy = deploy;
    }

    /** Registers the installer (FileInstall's package is wired: {@link DeployFolder#openForFileInstall} checked). */
    static AutoCloseable open(BundleContext context, CodeServer code, ModuleRegistry registry) {
        FileInstallDeployer d = new FileInstallDeployer(DeployFolder.forOffers(context, code, registry));
        d.registration = context.registerService(ArtifactInstaller.class.getName(), d, null);
        return d;
    }

    /** A jar with a {@code Hotcode-Module} header; anything unreadable is not claimed (FileInstall reports it). */
    @Override
    public boolean canHandle(File artifact) {
        if (!artifact.getName().endsWith(".jar") || !artifact.isFile()) {
            return false;
        }
        try (JarFile jar = new JarFile(artifact)) {
            Manifest m = jar.getManifest();
            return m != null && m.getMainAttributes().getValue(ModuleHeader.NAME) != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void install(File artifact) {
        deploy.offer(artifact.toPath().toAbsolutePath());
    }

    @Override
    public void update(File artifact) {
        deploy.offer(artifact.toPath().toAbsolutePath());
    }

    @Override
    public void uninstall(File artifact) {
        Log.info("deploy: " + artifact + " was removed; its module stays loaded (an uninstall would purge it):"
                + " uninstall its bundle to remove the module");
    }

    @Override
    public void close() {
        if (registration != null) {
            registration.unregister();
        }
        deploy.close();
    }
}
