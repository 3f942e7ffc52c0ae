package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.osgi.DeployFolder;
import hotcode.runtime.impl.osgi.ModuleExtender;
import hotcode.runtime.impl.osgi.NamedProcessServices;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.shell.Shell;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

import java.util.List;

/**
 * Starts the runtime: the kernel (processes, code server, router, system monitor), the {@link CodeServer} service,
 * the console commands when Gogo is present, and the extender that tracks module bundles; then the start-up
 * warm-ups ({@link Warmups}), by default in the background, so the start returns as soon as the runtime is usable.
 * Settings: {@link Config} (framework or system properties).
 */
public final class RuntimeActivator implements BundleActivator {
    private final List<Warmups.Step> warmupSteps;
    private Config config;
    private Kernel kernel;
    private ModuleExtender extender;
    private DeployFolder deploy; // null unless hotcode.deploy.dir is set
    private AutoCloseable shell;
    private Warmups warmups;

    public RuntimeActivator() {
        this(Warmups.STEPS);
    }

    /** With other warm-ups than the runtime's (tests). */
    RuntimeActivator(List<Warmups.Step> warmupSteps) {
        this.warmupSteps = warmupSteps;
    }

    @Override
    public void start(BundleContext context) {
        config = Config.read(context::getProperty);
        Config.install(config); // before the kernel makes any process: Proc reads its constants from it
        kernel = new Kernel(config.purgeTimeoutMillis(), config.migrationTimeoutMillis(), config.monitor());
        kernel.names().publishWith(new NamedProcessServices(context, kernel.processes()));
        Kernel.install(kernel);
        kernel.monitor().start();
        context.registerService(CodeServer.class, kernel.codeServer(), null);
        shell = Shell.open(context, kernel.processes(), kernel.names(), kernel.deadLetters(), kernel.monitor(),
                kernel.codeServer(), kernel.registry(), kernel.router());
        extender = new ModuleExtender(context, kernel.code());
        extender.open();
        deploy = DeployFolder.open(context, kernel.codeServer(), kernel.registry());
        warmups = Warmups.start(kernel, config.warmup(), warmupSteps);
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        warmups.close(); // first: no warm-up loads a module or starts a process while the runtime stops
        kernel.monitor().close();
        if (deploy != null) {
            deploy.close(); // before the extender: no deploy loads a module while it closes
        }
        extender.close();
        kernel.processes().killAll(config.purgeTimeoutMillis());
        if (shell != null) {
            shell.close();
        }
        Kernel.uninstall(kernel);
        Config.uninstall(config);
    }

    /** The warm-ups started by {@link #start} (tests). */
    Warmups warmups() {
        return warmups;
    }
}
