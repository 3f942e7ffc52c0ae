package hotcode.runtime.impl.shell;

import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.Log;
import org.osgi.framework.BundleContext;

/**
 * Opens the console commands only when Gogo's command API is wired (the import is optional): without Gogo the
 * runtime runs the same, minus the commands.
 */
public final class Shell {
    private Shell() {
    }

    public static AutoCloseable open(BundleContext context, Kernel kernel) {
        try {
            Class.forName("org.apache.felix.service.command.Function", false, Shell.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            Log.info("Gogo is not present: no console commands");
            return null;
        }
        ModuleCommands modules = new ModuleCommands(context, kernel.registry(), kernel.router());
        kernel.registry().addListener(modules);
        java.util.Hashtable<String, Object> props = new java.util.Hashtable<>();
        props.put("osgi.command.scope", "hotcode");
        props.put("osgi.command.function", HotcodeCommands.FUNCTIONS);
        org.osgi.framework.ServiceRegistration<?> commands =
                context.registerService(HotcodeCommands.class, new HotcodeCommands(kernel), props);
        org.osgi.framework.ServiceRegistration<?> servers = context.registerService(ServerCommands.class,
                new ServerCommands(kernel), withFunctions(props, ServerCommands.FUNCTIONS));
        return () -> {
            commands.unregister();
            servers.unregister();
            modules.close();
        };
    }

    private static java.util.Hashtable<String, Object> withFunctions(java.util.Hashtable<String, Object> props, String[] fs) {
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>(props);
        p.put("osgi.command.function", fs);
        return p;
    }
}
