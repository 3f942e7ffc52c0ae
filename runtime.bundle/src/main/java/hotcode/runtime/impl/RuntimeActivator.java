package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.osgi.ModuleExtender;
import hotcode.runtime.impl.osgi.NamedProcessServices;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.impl.shell.Shell;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Starts the runtime: the kernel (processes, code server, router), the extender that tracks module bundles, and the
 * console commands when Gogo is present. Configuration (framework or system properties):
 * {@code hotcode.purge.timeout.ms} (default 5000), how long a purge waits for killed processes;
 * {@code hotcode.migration.timeout.ms} (default 5000), how long an upgrade waits for every server of the module to
 * reach its safe point and migrate its state before it rolls back;
 * system property {@code hotcode.warmup=false} skips the start-up warm-ups of the purge path ({@link ExitPathWarmup})
 * and of the upgrade of servers ({@link UpgradePathWarmup}). The system monitor ({@link SystemMonitor}):
 * {@code hotcode.monitor.interval.ms} (default 250) between samples, {@code hotcode.monitor.long_schedule.ms}
 * (default 1000), {@code hotcode.monitor.long_message_queue} (default 100000 messages); 0 turns each off.
 */
public final class RuntimeActivator implements BundleActivator {
    private Kernel kernel;
    private ModuleExtender extender;
    private AutoCloseable shell;

    @Override
    public void start(BundleContext context) {
        SystemMonitor.Settings d = SystemMonitor.Settings.DEFAULTS;
        kernel = new Kernel(longProperty(context, "hotcode.purge.timeout.ms", 5000),
                longProperty(context, "hotcode.migration.timeout.ms", 5000),
                new SystemMonitor.Settings(longProperty(context, "hotcode.monitor.interval.ms", d.intervalMillis()),
                        longProperty(context, "hotcode.monitor.long_schedule.ms", d.longScheduleMillis()),
                        (int) Math.min(Integer.MAX_VALUE, longProperty(context, "hotcode.monitor.long_message_queue",
                                d.longMessageQueue()))));
        kernel.names().publishWith(new NamedProcessServices(context, kernel.processes()));
        Kernel.install(kernel);
        ExitPathWarmup.run(kernel);
        UpgradePathWarmup.run(kernel);
        kernel.monitor().start(); // after the warm-ups: they are the runtime's own doing
        context.registerService(CodeServer.class, kernel.codeServer(), null);
        shell = Shell.open(context, kernel.processes(), kernel.names(), kernel.deadLetters(), kernel.monitor(),
                kernel.codeServer(), kernel.registry(), kernel.router());
        extender = new ModuleExtender(context, kernel.code());
        extender.open();
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        kernel.monitor().close();
        extender.close();
        kernel.processes().killAll(longProperty(context, "hotcode.purge.timeout.ms", 5000));
        if (shell != null) {
            shell.close();
        }
        Kernel.uninstall(kernel);
    }

    private static long longProperty(BundleContext context, String key, long fallback) {
        String v = context.getProperty(key);
        try {
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            Log.warn(key + "=" + v + " is not a number of milliseconds; using " + fallback);
            return fallback;
        }
    }
}
