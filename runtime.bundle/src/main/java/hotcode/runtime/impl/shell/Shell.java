package hotcode.runtime.impl.shell;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.impl.router.Router;
import org.osgi.framework.BundleContext;

/**
 * Opens the console commands only when Gogo's command API is wired (the import is optional): without Gogo the
 * runtime runs the same, minus the commands. The commands get the runtime's parts they use, not the kernel that
 * wires them: the kernel's package starts the shell, so the shell naming it would tie the two into a cycle.
 */
public final class Shell {
    private Shell() {
    }

    public static AutoCloseable open(BundleContext context, ProcessTable processes, Names names,
                                     DeadLetterOffice deadLetters, SystemMonitor monitor, CodeServer code,
                                     ModuleRegistry registry, Router router,
                                     java.util.function.Supplier<hotcode.runtime.spi.node.NodeTransport> nodes) {
        try {
            Class.forName("org.apache.felix.service.command.Function", false, Shell.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            Log.info("Gogo is not present: no console commands");
            return null;
        }
        ModuleCommands modules = new ModuleCommands(context, registry, router);
        registry.addListener(modules);
        java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
        props.put("osgi.command.scope", "hotcode");
        props.put("osgi.command.function", HotcodeCommands.FUNCTIONS);
        org.osgi.framework.ServiceRegistration<?> commands =
                context.registerService(HotcodeCommands.class, new HotcodeCommands(processes, names, deadLetters, monitor, code, nodes), props);
        org.osgi.framework.ServiceRegistration<?> servers = context.registerService(ServerCommands.class,
                new ServerCommands(processes, names), withFunctions(props, ServerCommands.FUNCTIONS));
        ShellCompletion completion = new ShellCompletion(processes, names, code);
        java.util.Hashtable<String, Object> cprops = withFunctions(props, new String[] {"completions"});
        org.osgi.framework.ServiceRegistration<?> completions = context.registerService(
                new String[] {ShellCompletion.class.getName(),
                        org.apache.felix.service.command.CommandSessionListener.class.getName()}, completion, cprops);
        return () -> {
            commands.unregister();
            servers.unregister();
            completions.unregister();
            modules.close();
        };
    }

    private static java.util.Hashtable<String, Object> withFunctions(java.util.Hashtable<String, Object> props, String[] fs) {
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>(props);
        p.put("osgi.command.function", fs);
        return p;
    }
}
