package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.impl.router.Router;
import hotcode.runtime.impl.server.Servers;
import hotcode.runtime.impl.server.Supervisors;
import hotcode.runtime.impl.upgrade.CodeServerImpl;

/**
 * The running runtime: process table, names, dead letters, code server, router and system monitor, wired together
 * once. The API facade reaches it through {@link #get()}; the activator installs it on start and removes it on stop,
 * and starts and stops the monitor's sampling (a kernel made by a test samples only when told).
 */
public final class Kernel {
    private static volatile Kernel instance;

    private final DeadLetterOffice deadLetters = new DeadLetterOffice();
    private final Names names = new Names();
    private final ProcessTable processes = new ProcessTable(deadLetters, names);
    private final ModuleRegistry registry;
    private final CodeServerImpl code;
    private final Router router;
    private final Servers servers;
    private final Supervisors supervisors;
    private final SystemMonitor monitor;

    public Kernel(long purgeBoundMillis) {
        this(purgeBoundMillis, purgeBoundMillis);
    }

    public Kernel(long purgeBoundMillis, long migrationBoundMillis) {
        this(purgeBoundMillis, migrationBoundMillis, SystemMonitor.Settings.DEFAULTS);
    }

    public Kernel(long purgeBoundMillis, long migrationBoundMillis, SystemMonitor.Settings monitorSettings) {
        this.registry = new ModuleRegistry(v -> processes.select(p -> p.runs(v)).size());
        this.router = new Router(registry);
        this.servers = new Servers(processes, names, registry, deadLetters, migrationBoundMillis);
        this.code = new CodeServerImpl(registry, processes, servers.upgrades(), purgeBoundMillis);
        this.supervisors = new Supervisors(servers);
        this.monitor = new SystemMonitor(processes, monitorSettings);
        registry.addListener(monitor); // told of every purge: processes the purge could not stop run purged code
    }

    public static Kernel get() {
        Kernel k = instance;
        if (k == null) {
            throw new HotcodeException("the Hotcode runtime (bundle hotcode.runtime) is not running");
        }
        return k;
    }

    public static void install(Kernel k) {
        instance = k;
    }

    public static void uninstall(Kernel k) {
        if (instance == k) {
            instance = null;
        }
    }

    // ------------------------------------------------------------------ processes

    public Pid spawn(String module, String function, Object[] args, boolean link) {
        router.processStep(module, function, args.length); // undef and bad steps fail in the caller
        Proc parent = link ? Proc.current("spawnLink") : null;
        return processes.spawn(Next.call(module, function, args), null, parent);
    }

    public Pid spawn(Next body, boolean link) {
        if (body == null) {
            throw new HotcodeException("spawn: the process body must not be null");
        }
        Proc parent = link ? Proc.current("spawnLink") : null;
        // a fun of a purged version is undef here, in the caller, as a spawn of an unknown function is
        return processes.spawn(body, Crossing.stepVersion(body.getClass()), parent);
    }

    public void send(Pid to, Object message) {
        processes.send(to, message);
    }

    public void send(String name, Object message) {
        Pid pid = names.whereis(name);
        if (pid == null) {
            throw new HotcodeException("badarg: no process is registered as " + name + " (message " + message + " not sent)");
        }
        processes.send(pid, message);
    }

    public void exit(Pid pid, Object reason) {
        processes.exit(pid, reason);
    }

    public void link(Proc self, Pid other) {
        processes.link(self, other);
    }

    public void unlink(Proc self, Pid other) {
        processes.unlink(self, other);
    }

    public Ref monitor(Proc self, Pid target) {
        return processes.monitor(self, target);
    }

    public void demonitor(Proc self, Ref ref) {
        processes.demonitor(self, ref);
    }

    // ------------------------------------------------------------------ parts

    public ProcessTable processes() {
        return processes;
    }

    public Names names() {
        return names;
    }

    public DeadLetterOffice deadLetters() {
        return deadLetters;
    }

    /** The registry of module versions (the router's and the shell's view of the code server). */
    public ModuleRegistry registry() {
        return registry;
    }

    public CodeServerImpl code() {
        return code;
    }

    public CodeServer codeServer() {
        return code;
    }

    public Router router() {
        return router;
    }

    public Servers servers() {
        return servers;
    }

    public Supervisors supervisors() {
        return supervisors;
    }

    public SystemMonitor monitor() {
        return monitor;
    }
}
