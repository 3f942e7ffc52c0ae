package hotcode.runtime.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.From;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.impl.router.Router;
import hotcode.runtime.impl.server.ServerCalls;
import hotcode.runtime.impl.server.Servers;
import hotcode.runtime.impl.server.Supervisors;
import hotcode.runtime.impl.server.SysRequests;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.RemotePid;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.RuntimeAccess;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import hotcode.runtime.impl.upgrade.CodeServerImpl;

/**
 * The running runtime: process table, names, dead letters, code server, router and system monitor, wired together
 * once. The API reaches it as its {@link RuntimeAccess}, installed in {@link Access} (the activator installs it on
 * start and removes it on stop, a test around each test); the implementation's own entry points (the shell) reach it
 * through {@link #get()}. The activator also starts and stops the monitor's sampling (a kernel made by a test samples
 * only when told).
 *
 * <p>It implements {@link RuntimeAccess} itself rather than through an adapter: {@code Hotcode.send} then reaches the
 * process table in as many steps as when the API called the kernel directly.
 */
public final class Kernel implements RuntimeAccess {
    private final DeadLetterOffice deadLetters = new DeadLetterOffice();
    private final Names names = new Names();
    private final ProcessTable processes = new ProcessTable(deadLetters, names);
    private final ModuleRegistry registry;
    private final CodeServerImpl code;
    private final Router router;
    private final Servers servers;
    private final ServerCalls calls;
    private final SysRequests sys;
    private final Supervisors supervisors;
    private final SystemMonitor monitor;
    /**
     * The cluster's transport for {@link RemotePid}s, or null on a single node (no cluster bundle). Read only for a
     * pid that is not local, so a local send never reads it.
     */
    private volatile NodeTransport transport;
    private final NodeHooks node = new NodeHooks(this);
    private final KernelObservation observation;

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
        this.calls = servers.calls();
        this.sys = servers.sys();
        this.code = new CodeServerImpl(registry, processes, servers.upgrades(), purgeBoundMillis);
        this.supervisors = new Supervisors(servers);
        this.monitor = new SystemMonitor(processes, monitorSettings);
        registry.addListener(monitor); // told of every purge: processes the purge could not stop run purged code
        this.observation = new KernelObservation(this, processes, deadLetters);
        code.addListener(observation); // the observer's upgrade timeline
    }

    /** The installed kernel; fails, as the API does, when the runtime is not running. */
    public static Kernel get() {
        return (Kernel) Access.get();
    }

    public static void install(Kernel k) {
        Access.install(k);
    }

    /** Removes {@code k} if it is the one installed. */
    public static void uninstall(Kernel k) {
        Access.uninstall(k);
    }

    // ------------------------------------------------------------------ processes

    @Override
    public Pid spawn(String module, String function, Object[] args, boolean link) {
        router.processStep(module, function, args.length); // undef and bad steps fail in the caller
        Proc parent = link ? Proc.current("spawnLink") : null;
        return processes.spawn(Next.call(module, function, args), null, parent);
    }

    @Override
    public Pid spawn(Next body, boolean link) {
        if (body == null) {
            throw new HotcodeException("spawn: the process body must not be null");
        }
        Proc parent = link ? Proc.current("spawnLink") : null;
        // a fun of a purged version is undef here, in the caller, as a spawn of an unknown function is
        return processes.spawn(body, Crossing.stepVersion(body.getClass()), parent);
    }

    @Override
    public void send(Pid to, Object message) {
        if (to instanceof RemotePid r) { // the one branch a local send pays for nodes: a type check of a final class
            sendRemote(r, message);
            return;
        }
        processes.send(to, message);
    }

    @Override
    public void send(String name, Object message) {
        Pid pid = names.whereis(name);
        if (pid == null) {
            throw new HotcodeException("badarg: no process is registered as " + name + " (message " + message + " not sent)");
        }
        processes.send(pid, message);
    }

    @Override
    public void exit(Pid pid, Object reason) {
        if (pid instanceof RemotePid r) {
            NodeTransport t = transport;
            if (t != null) {
                t.exit(Proc.currentOrNull(), r, reason);
            } // else: no connection, the signal is lost as in Erlang (exit/2 to a node that is not connected)
            return;
        }
        processes.exit(pid, reason);
    }

    @Override
    public void link(Pid other) {
        if (other instanceof RemotePid r) {
            Proc self = Proc.current("link");
            NodeTransport t = transport;
            if (t == null) {
                NodeHooks.exitFrom(this, self, r, NOCONNECTION, true);
                self.checkExit();
            } else {
                t.link(self, r);
            }
            return;
        }
        processes.link(Proc.current("link"), other);
    }

    @Override
    public void unlink(Pid other) {
        if (other instanceof RemotePid r) {
            NodeTransport t = transport;
            if (t != null) {
                t.unlink(Proc.current("unlink"), r);
            }
            return;
        }
        processes.unlink(Proc.current("unlink"), other);
    }

    @Override
    public Ref monitor(Pid target) {
        if (target instanceof RemotePid r) {
            Proc self = Proc.current("monitor");
            NodeTransport t = transport;
            if (t != null) {
                return t.monitor(self, r);
            }
            Ref ref = Ref.make();
            self.deliver(Tuple.of(Hotcode.DOWN, ref, Atom.of("process"), r, NOCONNECTION));
            return ref;
        }
        return processes.monitor(Proc.current("monitor"), target);
    }

    @Override
    public void demonitor(Ref ref) {
        NodeTransport t = transport;
        if (t != null && t.demonitor(Proc.current("demonitor"), ref)) {
            return;
        }
        processes.demonitor(Proc.current("demonitor"), ref);
    }

    @Override
    public boolean isAlive(Pid pid) {
        if (pid instanceof RemotePid r) {
            throw new HotcodeException("badarg: isAlive is for local pids only, as Erlang's is_process_alive; "
                    + r + " is on node " + r.node() + " (monitor it instead)");
        }
        return processes.lookup(pid).isAlive();
    }

    @Override
    public List<Pid> pids() {
        return processes.pids();
    }

    // ------------------------------------------------------------------ nodes (the cluster bundle's transport)

    /** Dead letter reason and exit reason when a remote pid's node is not connected. */
    public static final Atom NOCONNECTION = Atom.of("noconnection");

    private void sendRemote(RemotePid to, Object message) {
        if (message == null) {
            throw new HotcodeException("cannot send null to " + to + ": null is not a message");
        }
        NodeTransport t = transport;
        if (t == null) {
            deadLetters.record(to, message, NOCONNECTION, Proc.currentOrNull());
        } else {
            t.send(to, message);
        }
    }

    /** The cluster bundle's access to this kernel ({@link LocalNode}). */
    public LocalNode node() {
        return node;
    }

    /** The cluster's transport (for the console's commands about other nodes), or null on a single node. */
    public NodeTransport transport() {
        return transport;
    }

    void attach(NodeTransport t) {
        transport = t;
    }

    void detach(NodeTransport t) {
        if (transport == t) {
            transport = null;
        }
    }

    @Override
    public String nodeName() {
        NodeTransport t = transport;
        return t == null ? "nonode@nohost" : t.node();
    }

    @Override
    public List<String> nodes() {
        NodeTransport t = transport;
        return t == null ? List.of() : t.nodes();
    }

    @Override
    public void monitorNode(String node, boolean on) {
        Proc self = Proc.current("monitorNode");
        NodeTransport t = transport;
        if (t != null) {
            t.monitorNode(self, node, on);
        } else if (on) {
            self.deliver(Tuple.of(Atom.of("nodedown"), node)); // not connected: at once, as Erlang's monitor_node
        }
    }

    @Override
    public boolean registerGlobal(String name, Pid pid) {
        return cluster("Global.register").registerGlobal(name, pid);
    }

    @Override
    public void unregisterGlobal(String name) {
        cluster("Global.unregister").unregisterGlobal(name);
    }

    @Override
    public Pid whereisGlobal(String name) {
        NodeTransport t = transport;
        return t == null ? null : t.whereisGlobal(name);
    }

    private NodeTransport cluster(String operation) {
        NodeTransport t = transport;
        if (t == null) {
            throw new HotcodeException(operation + ": this node is in no cluster (the hotcode.cluster bundle is not"
                    + " running or not configured)");
        }
        return t;
    }

    @Override
    public void register(String name, Pid pid) {
        names.register(name, processes.lookup(pid));
    }

    @Override
    public void unregister(String name) {
        names.unregister(name);
    }

    @Override
    public Pid whereis(String name) {
        return names.whereis(name);
    }

    // ------------------------------------------------------------------ code, dead letters, system monitor

    @Override
    public Object call(String module, String function, Object[] args) {
        return router.call(module, function, args);
    }

    @Override
    public Next tailCall(Next step, String module, String function, Object[] args) {
        return router.tailCall(step, module, function, args);
    }

    @Override
    public long deadLetterCount() {
        return deadLetters.count();
    }

    @Override
    public AutoCloseable subscribeDeadLetters(Consumer<DeadLetter> subscriber) {
        return deadLetters.subscribe(subscriber);
    }

    @Override
    public List<DeadLetter> recentDeadLetters() {
        return deadLetters.recent();
    }

    @Override
    public List<SystemAlert> systemAlerts() {
        return monitor.alerts();
    }

    @Override
    public hotcode.runtime.spi.Observation observation() {
        return observation;
    }

    KernelObservation observationImpl() {
        return observation;
    }

    // ------------------------------------------------------------------ servers (start, calls, sys), supervisors

    @Override
    public Pid startServer(String name, Class<?> type, Object arg, boolean link) {
        return servers.start(name, type, arg, link);
    }

    @Override
    public Object callServer(Object server, Object request, Duration timeout) {
        return calls.call(server, request, timeout);
    }

    @Override
    public void castServer(Object server, Object message) {
        calls.cast(server, message);
    }

    @Override
    public void reply(From from, Object value) {
        calls.reply(from, value);
    }

    @Override
    public void stopServer(Object server, Object reason, Duration timeout) {
        sys.stop(server, reason, timeout);
    }

    @Override
    public void unexpected(String kind, Object message) {
        calls.unexpected(kind, message);
    }

    @Override
    public void suspend(Object server) {
        sys.suspend(server);
    }

    @Override
    public void resume(Object server) {
        sys.resume(server);
    }

    @Override
    public Object getState(Object server) {
        return sys.getState(server);
    }

    @Override
    public Object replaceState(Object server, UnaryOperator<Object> f) {
        return sys.replaceState(server, f);
    }

    @Override
    public Pid startSupervisor(String name, Supervisor.Strategy strategy, int intensity, Duration period,
                               List<Supervisor.Child> children, boolean link) {
        return supervisors.start(name, strategy, intensity, period, children, link);
    }

    @Override
    public List<Supervisor.ChildInfo> whichChildren(Object supervisor) {
        return supervisors.whichChildren(supervisor);
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

    @Override
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

    /**
     * Takes a new configuration's bounds and monitor settings while the kernel runs (a ConfigAdmin update): purges
     * and upgrades that start from now on use the new bounds, the monitor its new settings from its next sample.
     */
    public void reconfigure(Config c) {
        code.purgeBoundMillis(c.purgeTimeoutMillis());
        servers.upgrades().boundMillis(c.migrationTimeoutMillis());
        monitor.settings(c.monitor());
    }
}
