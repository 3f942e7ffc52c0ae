package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.code.ModuleExtender;
import hotcode.runtime.impl.shell.Shell;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Starts the runtime: the kernel (processes, code server, router), the extender that tracks module bundles, and the
 * console commands when Gogo is present. Settings: {@link Config} (framework or system properties); unless
 * {@code hotcode.warmup=false}, the start-up warm-ups of the purge path ({@link ExitPathWarmup}) and of the upgrade of
 * servers ({@link UpgradePathWarmup}) run first.
 */
public final class RuntimeActivator implements BundleActivator {
    private Config config;
    private Kernel kernel;
    private ModuleExtender extender;
    private AutoCloseable shell;

    @Override
    public void start(BundleContext context) {
        config = Config.read(context::getProperty);
        Config.install(config); // before the kernel makes any process: Proc reads its constants from it
        kernel = new Kernel(config.purgeTimeoutMillis(), config.migrationTimeoutMillis(), config.monitor());
        kernel.names().publishWith(new NamedProcessServices(context, kernel));
        Kernel.install(kernel);
        if (config.warmup() != Config.Warmup.OFF) {
            ExitPathWarmup.run(kernel);
            UpgradePathWarmup.run(kernel);
        }
        kernel.monitor().start(); // after the warm-ups: they are the runtime's own doing
        context.registerService(CodeServer.class, kernel.codeServer(), null);
        shell = Shell.open(context, kernel);
        extender = new ModuleExtender(context, kernel.code());
        extender.open();
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        kernel.monitor().close();
        extender.close();
        kernel.processes().killAll(config.purgeTimeoutMillis());
        if (shell != null) {
            shell.close();
        }
        Kernel.uninstall(kernel);
        Config.uninstall(config);
    }
}
