package hotcode.runtime.impl.server;

import hotcode.runtime.api.CallException;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;

import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * The server behaviour's runtime side, one protocol per class: this class starts servers and keeps the registry of
 * the servers of each module (and tells which server a pid or registered name means); calls, casts and replies are
 * {@link ServerCalls}'s; system requests (suspend, resume, get and replace the state, stop) are {@link SysRequests}';
 * moving a module's servers to a new version is {@link ServerUpgrades}'s. The server's own loop is
 * {@link ServerProcess}.
 */
public final class Servers {
    private final ProcessTable processes;
    private final Names names;
    private final ModuleRegistry code;
    private final DeadLetterOffice deadLetters;
    /** The servers of each module; an upgrade takes its snapshot from here. */
    private final ConcurrentHashMap<String, Set<ServerProcess>> byModule = new ConcurrentHashMap<>();
    private final StartLocks locks;
    private final ServerUpgrades upgrades;
    private final ServerCalls calls;
    private final SysRequests sys;

    public Servers(ProcessTable processes, Names names, ModuleRegistry code, DeadLetterOffice deadLetters,
                   long migrationBoundMillis) {
        this.processes = processes;
        this.names = names;
        this.code = code;
        this.deadLetters = deadLetters;
        this.locks = new StartLocks(migrationBoundMillis);
        this.upgrades = new ServerUpgrades(this, locks, migrationBoundMillis);
        this.calls = new ServerCalls(this, processes, names, deadLetters);
        this.sys = new SysRequests(this);
    }

    /** The upgrades of servers, for the upgrade transaction and the migrate purge. */
    public ServerUpgrades upgrades() {
        return upgrades;
    }

    /** Calls, casts and replies (the API's {@code GenServer.call} and its kin). */
    public ServerCalls calls() {
        return calls;
    }

    /** System requests (the API's {@code Sys} and {@code GenServer.stop}). */
    public SysRequests sys() {
        return sys;
    }

    // ------------------------------------------------------------------ API: start

    public Pid start(String name, Class<?> type, Object arg, boolean link) {
        return start(name, moduleOf(type, "GenServer.start"), type.getName(), arg, link);
    }

    /** The module that defines {@code type}, or an error naming the class. */
    public String moduleOf(Class<?> type, String what) {
        if (type == null) {
            throw new HotcodeException(what + ": the server class must not be null");
        }
        ModuleVersion owner = code.versionOf(type);
        if (owner == null) {
            throw new HotcodeException(what + ": " + type.getName() + " is not a class of a Hotcode module (it comes from "
                    + type.getClassLoader() + "); a server class must be in a bundle with a Hotcode-Module header");
        }
        return owner.module();
    }

    /**
     * Starts a server of class {@code className} in the current version of {@code module}. By name, not by class: a
     * supervisor restarts its children this way long after the version whose class it was given has been purged.
     */
    public Pid start(String name, String module, String className, Object arg, boolean link) {
        Proc parent = link ? Proc.current("GenServer.startLink") : null;
        ServerProcess sp;
        long stamp = locks.readOrFail(module, "GenServer.start of " + className);
        try {
            ModuleVersion cur = code.currentVersion(module);
            Class<?> cls = serverClass(cur, className);
            sp = new ServerProcess(this, module, cls, null, arg, name, cur);
            Set<ServerProcess> set = byModule.computeIfAbsent(module, m -> ConcurrentHashMap.newKeySet());
            set.add(sp);
            try {
                sp.attach(processes.spawn(sp, cur, "server", parent, sp));
            } catch (RuntimeException | Error e) {
                set.remove(sp); // never started: an upgrade must not look for it
                throw e;
            }
        } finally {
            locks.unlockRead(module, stamp);
        }
        return awaitStarted(sp, "GenServer.start of " + sp.describe());
    }

    /** Starts one of the runtime's own servers (a supervisor): no module, never upgraded. */
    public Pid startRuntimeServer(String name, Server<Object> instance, Object arg, boolean link) {
        Proc parent = link ? Proc.current("startLink") : null;
        ServerProcess sp = new ServerProcess(this, null, instance.getClass(), instance, arg, name, null);
        sp.attach(processes.spawn(sp, null, "server", parent, sp));
        return awaitStarted(sp, "start of " + sp.describe());
    }

    private Pid awaitStarted(ServerProcess sp, String what) {
        try {
            sp.started.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException(what + ": interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            String why = c instanceof ExitException x ? "exited with " + Terms.format(x.reason()) : c.toString();
            throw new HotcodeException(what + " failed in init: " + why, c);
        }
        return sp.proc();
    }

    // ------------------------------------------------------------------ internals

    Names names() {
        return names;
    }

    /** The servers of {@code module} (null when it never had one): an upgrade takes its snapshot from here. */
    Set<ServerProcess> of(String module) {
        return byModule.get(module);
    }

    void deadLetter(Proc to, Object message, Object reason) {
        deadLetters.record(to, message, reason);
    }

    void forget(ServerProcess s) {
        if (s.module != null) {
            Set<ServerProcess> set = byModule.get(s.module);
            if (set != null) {
                set.remove(s);
            }
        }
    }

    /** The server class {@code name} in version {@code v}, checked: a public, concrete {@link Server} with a public no-argument constructor. */
    Class<?> serverClass(ModuleVersion v, String name) {
        Class<?> c;
        try {
            c = Class.forName(name, false, v.loader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new HotcodeException(v.label() + " has no server class " + name + " (" + e + ")");
        }
        String where = "server class " + name + " of " + v.label();
        if (!Server.class.isAssignableFrom(c)) {
            throw new HotcodeException(where + " does not implement " + Server.class.getName()
                    + " (the callbacks init and handleCall are missing)");
        }
        if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers()) || c.isInterface()) {
            throw new HotcodeException(where + " must be a public, concrete class");
        }
        try {
            Constructor<?> k = c.getConstructor();
            if (!Modifier.isPublic(k.getModifiers())) {
                throw new NoSuchMethodException();
            }
        } catch (NoSuchMethodException e) {
            throw new HotcodeException(where + " needs a public constructor without arguments");
        }
        return c;
    }

    @SuppressWarnings("unchecked")
    Server<Object> instantiate(Class<?> c, ModuleVersion v) {
        try {
            return (Server<Object>) c.getConstructor().newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new HotcodeException("the constructor of server class " + c.getName() + " of " + v.label() + " failed: "
                    + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HotcodeException("cannot create server class " + c.getName() + " of " + v.label() + ": " + e, e);
        }
    }

    /**
     * The process that {@code server} (a pid or a registered name) means, or an error naming it and {@code what}. The
     * operation is described only for an error: a call or a cast formats its request only if it fails (formatting it on
     * every call was ~5 % of a call's time to one of 10,000 servers).
     */
    Proc resolve(Object server, Supplier<String> what) {
        if (server instanceof String n) {
            Pid p = names.whereis(n);
            if (p == null) {
                throw new CallException(what.get() + " to " + n + " failed: noproc (no process is registered as " + n + ")",
                        null, NOPROC);
            }
            return processes.lookup(p);
        }
        if (server instanceof Pid pid) {
            return processes.lookup(pid);
        }
        throw new HotcodeException(what.get() + ": a server is a Pid or a registered name, not "
                + (server == null ? "null" : server.getClass().getName() + " " + server));
    }

    /** The server that {@code p} runs, or an error saying it is a plain process ({@code what}: as for resolve). */
    static ServerProcess serverOf(Proc p, Supplier<String> what) {
        if (p.behaviour() instanceof ServerProcess sp) {
            return sp;
        }
        throw new HotcodeException(what.get() + ": " + p + " is not a server (it is a plain process" + (p.isAlive() ? "" : ", and has exited")
                + "); send it messages with Hotcode.send");
    }
}
