package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.osgi.DeployFolder;
import hotcode.runtime.impl.osgi.LogServiceSink;
import hotcode.runtime.impl.osgi.ModuleExtender;
import hotcode.runtime.impl.osgi.NamedProcessServices;
import hotcode.runtime.impl.osgi.RuntimeEvents;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.IdleCarriers;
import hotcode.runtime.impl.shell.Shell;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

import java.util.List;

/**
 * Starts the runtime: the kernel (processes, code server, router, system monitor), the {@link CodeServer} service,
 * the console commands when Gogo is present, and the extender that tracks module bundles; then the start-up
 * warm-ups ({@link Warmups}), by default in the background, so the start returns as soon as the runtime is usable.
 * When the OSGi Log Service and EventAdmin are there (both imports are optional), the log goes to the one and the
 * code server's events to the other too.
 * Settings: {@link Config} (framework or system properties), updated through ConfigAdmin when it is there
 * ({@link RuntimeConfiguration}, PID {@code hotcode.runtime}).
 */
public final class RuntimeActivator implements BundleActivator {
    private final List<Warmups.Step> warmupSteps;
    private volatile Config config; // the latest: a ConfigAdmin update replaces it
    private AutoCloseable configuration;
    private Kernel kernel;
    private ModuleExtender extender;
    private DeployFolder deploy; // null unless hotcode.deploy.dir is set
    private AutoCloseable fileInstall; // null unless FileInstall's package is wired
    private AutoCloseable shell;
    private Warmups warmups;
    private AutoCloseable logService;
    private AutoCloseable events;
    private boolean idleStopped; // guarded by this: the stop has ended the idle carriers for good

    public RuntimeActivator() {
        this(Warmups.STEPS);
    }

    /** With other warm-ups than the runtime's (tests). */
    RuntimeActivator(List<Warmups.Step> warmupSteps) {
        this.warmupSteps = warmupSteps;
    }

    @Override
    public void start(BundleContext context) {
        logService = LogServiceSink.open(context); // first: the start's own lines reach it too
        config = Config.read(context::getProperty);
        Config.install(config); // before the kernel makes any process: Proc reads its constants from it
        kernel = new Kernel(config.purgeTimeoutMillis(), config.migrationTimeoutMillis(), config.monitor());
        kernel.names().publishWith(new NamedProcessServices(context, kernel.processes()));
        Kernel.install(kernel);
        kernel.monitor().start();
        context.registerService(CodeServer.class, kernel.codeServer(), null);
        context.registerService(hotcode.runtime.spi.node.LocalNode.class, kernel.node(), null); // for the cluster bundle
        events = RuntimeEvents.open(context, kernel.code(), kernel.deadLetters());
        shell = Shell.open(context, kernel.processes(), kernel.names(), kernel.deadLetters(), kernel.monitor(),
                kernel.codeServer(), kernel.registry(), kernel.router(), kernel::transport);
        extender = new ModuleExtender(context, kernel.code());
        extender.open();
        deploy = DeployFolder.open(context, kernel.codeServer(), kernel.registry());
        fileInstall = DeployFolder.openForFileInstall(context, kernel.codeServer(), kernel.registry());
        warmups = Warmups.start(kernel, config.warmup(), warmupSteps);
        configuration = RuntimeConfiguration.register(context, config, this::reconfigure);
        startIdleCarriers(); // last: a start that fails leaves no spinner behind
    }

    /**
     * With the latest configuration's window: an update may come in while the bundle starts, or, still running on
     * ConfigAdmin's thread, after it stopped (then none start: their threads would hold this bundle's class loader).
     */
    private synchronized void startIdleCarriers() {
        if (!idleStopped) {
            IdleCarriers.start(IdleCarriers.defaultCount(), config.idleSpinMicros());
        }
    }

    private synchronized void stopIdleCarriers() {
        idleStopped = true;
        IdleCarriers.stop();
    }

    /** A ConfigAdmin update: the log, the stack check, the kernel's bounds and monitor and the idle carriers are told. */
    private void reconfigure(Config c) {
        boolean idleChanged = c.idleSpinMicros() != config.idleSpinMicros();
        config = c;
        Config.install(c);
        kernel.reconfigure(c);
        if (idleChanged) {
            startIdleCarriers();
        }
        Log.info("configuration " + RuntimeConfiguration.PID + " applied: " + c);
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        try {
            if (configuration != null) {
                configuration.close(); // no update while the runtime stops
            }
            warmups.close(); // first: no warm-up loads a module or starts a process while the runtime stops
            kernel.monitor().close();
            if (deploy != null) {
                deploy.close(); // before the extender: no deploy loads a module while it closes
            }
            if (fileInstall != null) {
                fileInstall.close();
            }
            extender.close();
            kernel.processes().killAll(config.purgeTimeoutMillis());
            if (shell != null) {
                shell.close();
            }
            Kernel.uninstall(kernel);
            Config.uninstall(config);
            if (events != null) {
                events.close();
            }
            if (logService != null) {
                logService.close(); // last: the stop's own lines reach it too
            }
        } finally {
            stopIdleCarriers(); // after the processes (their last messages still wake one another), also if a step threw
        }
    }

    /** The warm-ups started by {@link #start} (tests). */
    Warmups warmups() {
        return warmups;
    }
}
