package hotcode.runtime.impl;

import hotcode.runtime.impl.shell.ModuleCommands;
import org.osgi.framework.BundleContext;

/**
 * Opens the console commands only when Gogo's command API is wired (the import is optional): without Gogo the
 * runtime runs the same, minus the commands.
 */
final class Shell {
    private Shell() {
    }

    static AutoCloseable open(BundleContext context, Kernel kernel) {
        try {
            Class.forName("org.apache.felix.service.command.Function", false, Shell.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            Log.info("Gogo is not present: no console commands");
            return null;
        }
        ModuleCommands modules = new ModuleCommands(context, kernel.code(), kernel.router());
        kernel.code().addListener(modules);
        return modules::close;
    }
}
