package hotcode.runtime.impl.shell;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleFunction;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.router.Router;
import org.apache.felix.service.command.Function;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gogo commands for modules: a module that lists {@code commands="f,g"} in its header gets {@code module:f} and
 * {@code module:g} in the console. The runtime bundle registers them (module authors write no OSGi code), and each
 * invocation is a qualified call, so a command always runs the current version.
 */
public final class ModuleCommands implements ModuleRegistry.Listener {
    private final BundleContext context;
    private final ModuleRegistry code;
    private final Router router;
    private final Map<String, Registered> byModule = new ConcurrentHashMap<>();

    /** What was registered: the command names and their help (descriptions change with versions). */
    private record Registered(List<String> commands, List<CommandHelp.Signature> help,
                              List<ServiceRegistration<?>> registrations) {
        void unregister() {
            registrations.forEach(ServiceRegistration::unregister);
        }
    }

    public ModuleCommands(BundleContext context, ModuleRegistry code, Router router) {
        this.context = context;
        this.code = code;
        this.router = router;
    }

    public void close() {
        byModule.values().forEach(Registered::unregister);
        byModule.clear();
    }

    @Override
    public synchronized void loaded(ModuleVersion v, ModuleHeader header) {
        Registered before = byModule.get(v.module());
        List<CommandHelp.Signature> help = help(v, header.commands());
        if (before != null && before.commands().equals(header.commands()) && before.help().equals(help)) {
            return;
        }
        if (before != null) {
            before.unregister();
            byModule.remove(v.module());
        }
        if (header.commands().isEmpty()) {
            return;
        }
        String module = v.module();
        List<ServiceRegistration<?>> registrations = new java.util.ArrayList<>();
        Class<? extends CommandHelp> described = CommandHelp.define(help);
        for (String function : header.commands()) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("osgi.command.scope", module);
            props.put("osgi.command.function", new String[] {function});
            Function command = CommandHelp.of((session, args) -> run(module, function, args), described);
            registrations.add(context.registerService(Function.class, command, props));
        }
        byModule.put(module, new Registered(header.commands(), help, registrations));
    }

    /** What {@code help} shows of {@code commands}: each function of that name in {@code v}, by arity. */
    private static List<CommandHelp.Signature> help(ModuleVersion v, List<String> commands) {
        List<CommandHelp.Signature> out = new java.util.ArrayList<>();
        for (String name : commands) {
            for (ModuleFunction f : v.functions(name)) {
                List<Class<?>> shown = java.util.Arrays.stream(f.parameterTypes()).<Class<?>>map(CommandHelp::shown).toList();
                out.add(new CommandHelp.Signature(name, shown, f.description(), f.parameterDescriptions()));
            }
        }
        return out;
    }

    /** A module purged after a delete has no code left: its commands go with it (a later load registers them again). */
    @Override
    public synchronized void purged(ModuleVersion v) {
        if (!code.isLoaded(v.module())) {
            Registered r = byModule.remove(v.module());
            if (r != null) {
                r.unregister();
            }
        }
    }

    private Object run(String module, String function, List<Object> args) {
        ModuleFunction f = code.current(module, function, args.size()).function(function, args.size());
        Class<?>[] types = f.parameterTypes();
        Object[] converted = new Object[args.size()];
        for (int i = 0; i < converted.length; i++) {
            converted[i] = convert(module + ":" + function, i + 1, args.get(i), types[i]);
        }
        return router.call(module, function, converted);
    }

    /** Console words arrive as strings; they become the parameter's type, with an error naming the argument. */
    static Object convert(String command, int position, Object arg, Class<?> type) {
        if (!(arg instanceof String s) || type == String.class || type == Object.class && !looksNumeric(arg)) {
            return arg;
        }
        try {
            if (type == int.class || type == Integer.class) {
                return Integer.valueOf(s);
            }
            if (type == long.class || type == Long.class || type == Object.class) {
                return Long.valueOf(s);
            }
            if (type == double.class || type == Double.class) {
                return Double.valueOf(s);
            }
            if (type == boolean.class || type == Boolean.class) {
                if (!s.equals("true") && !s.equals("false")) {
                    throw new NumberFormatException();
                }
                return Boolean.valueOf(s);
            }
            if (type == Atom.class) {
                return Atom.of(s);
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new HotcodeException(command + ": argument " + position + " must be " + type.getSimpleName() + ", got \"" + s + "\"");
    }

    private static boolean looksNumeric(Object arg) {
        return arg instanceof String s && s.matches("-?\\d{1,18}");
    }
}
