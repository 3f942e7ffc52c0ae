package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.CallException;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.From;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.Log;
import hotcode.runtime.impl.code.CodeServerImpl;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;

import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

import static hotcode.runtime.api.Hotcode.DOWN;
import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * The server behaviour's runtime side: starting servers, calls and casts, system requests, and the upgrade of a
 * module's servers when a new version is loaded (the code server's {@link CodeServerImpl.Upgrader}).
 */
public final class Servers implements CodeServerImpl.Upgrader {
    static final Atom TIMEOUT = Atom.of("timeout");
    private static final Duration SYS_TIMEOUT = Duration.ofSeconds(5);

    private final ProcessTable processes;
    private final Names names;
    private final CodeServerImpl code;
    private final DeadLetterOffice deadLetters;
    private final long migrationBoundMillis;
    /** The servers of each module; an upgrade takes its snapshot from here. */
    private final ConcurrentHashMap<String, Set<ServerProcess>> byModule = new ConcurrentHashMap<>();
    /** Per module: starts hold the read lock, an upgrade the write lock, so no server starts on a version being left. */
    private final ConcurrentHashMap<String, ReentrantReadWriteLock> locks = new ConcurrentHashMap<>();
    /**
     * Platform threads that run codeChange for idle servers: not virtual threads, so an upgrade's progress does not
     * depend on the virtual-thread scheduler's fairness under load; a codeChange that hangs holds one of them (the
     * upgrade rolls back at its bound) and the pool makes another.
     */
    private final java.util.concurrent.ExecutorService migrators = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hotcode-migrator");
        t.setDaemon(true);
        return t;
    });

    public Servers(ProcessTable processes, Names names, CodeServerImpl code, DeadLetterOffice deadLetters,
                   long migrationBoundMillis) {
        this.processes = processes;
        this.names = names;
        this.code = code;
        this.deadLetters = deadLetters;
        this.migrationBoundMillis = migrationBoundMillis;
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
        ReentrantReadWriteLock.ReadLock lock = lock(module).readLock();
        lockOrFail(lock, "GenServer.start of " + className);
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
            lock.unlock();
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

    // ------------------------------------------------------------------ API: client

    public Object call(Object server, Object request, Duration timeout) {
        if (request == null) {
            throw new HotcodeException("call: null is not a request");
        }
        Proc target = resolve(server, "call " + Terms.format(request));
        ServerProcess sp = serverOf(target, "call " + Terms.format(request));
        String what = "call " + Terms.format(request) + " to " + sp.describe();
        if (!target.isAlive()) {
            deadLetters.record(target, request, NOPROC);
            throw new CallException(what + " failed: noproc (it exited with " + Terms.format(target.exitReason())
                    + "; the request is counted as a dead letter)", target, NOPROC);
        }
        Proc caller = Proc.currentOrNull();
        if (caller == target) {
            throw new HotcodeException(what + ": a server cannot call itself (it would wait for its own reply)");
        }
        CallFrom from = new CallFrom(caller);
        long timeoutNanos = timeout.toNanos();
        return caller != null ? callFromProcess(caller, target, request, from, timeoutNanos, what)
                : callFromThread(target, request, from, timeoutNanos, what);
    }

    private Object callFromProcess(Proc caller, Proc target, Object request, CallFrom from, long nanos, String what) {
        Ref mref = processes.monitor(caller, target);
        processes.send(target, new Messages.Call(request, from));
        Tuple down = Tuple.of(DOWN, mref, Terms.ANY, Terms.ANY, Terms.ANY);
        Object m = caller.receive(new Object[] {from, down}, nanos);
        if (m == null) {
            if (from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP)) {
                processes.demonitor(caller, mref);
                flush(caller, down);
                throw new CallException(what + " failed: timeout (no reply within " + nanos / 1_000_000 + " ms)",
                        target, TIMEOUT);
            }
            m = caller.receive(new Object[] {from}, -1); // answered just now: the reply is in the mailbox or on its way
        }
        processes.demonitor(caller, mref);
        if (m instanceof Messages.CallReply r) {
            flush(caller, down);
            return answer(r, what, target);
        }
        from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP);
        Object reason = ((Tuple) m).get(4);
        throw new CallException(what + " failed: the server exited with " + Terms.format(reason), target, reason);
    }

    private Object callFromThread(Proc target, Object request, CallFrom from, long nanos, String what) {
        processes.send(target, new Messages.Call(request, from));
        long deadline = System.nanoTime() + nanos;
        for (;;) {
            try {
                long left = deadline - System.nanoTime();
                Object r = from.future.get(Math.max(0, Math.min(left, 20_000_000L)), TimeUnit.NANOSECONDS);
                return answer((Messages.CallReply) r, what, target);
            } catch (TimeoutException e) {
                boolean dead = !target.isAlive();
                if ((dead || System.nanoTime() >= deadline)
                        && from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP)) {
                    Object reason = dead ? target.exitReason() : TIMEOUT;
                    throw new CallException(what + " failed: " + (dead ? "the server exited with " + Terms.format(reason)
                            : "timeout (no reply within " + nanos / 1_000_000 + " ms)"), target, reason);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP);
                throw new CallException(what + " failed: interrupted", target, TIMEOUT);
            } catch (ExecutionException e) {
                throw new HotcodeException(what + " failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private static Object answer(Messages.CallReply r, String what, Proc target) {
        if (r.error() != null) {
            throw new CallException(what + " failed: " + r.error().getMessage(), target, ServerProcess.INCOMPATIBLE);
        }
        return r.value();
    }

    /** Drops a DOWN of a monitor just removed, so no stray DOWN reaches the caller's mailbox later. */
    private static void flush(Proc caller, Tuple down) {
        caller.receive(new Object[] {down}, 0);
    }

    public void cast(Object server, Object message) {
        if (message == null) {
            throw new HotcodeException("cast: null is not a message");
        }
        if (server instanceof String n && names.whereis(n) == null) {
            deadLetters.record(null, message, NOPROC);
            return; // as in Erlang, a cast never fails; it is counted
        }
        Proc target = resolve(server, "cast " + Terms.format(message));
        serverOf(target, "cast " + Terms.format(message));
        processes.send(target, new Messages.Cast(message));
    }

    public void reply(From from, Object value) {
        if (!(from instanceof CallFrom f)) {
            throw new HotcodeException("reply: " + from + " is not the From of a call");
        }
        reply(f, value, null);
    }

    void reply(CallFrom f, Object value) {
        reply(f, value, null);
    }

    void fail(CallFrom f, HotcodeException error) {
        reply(f, null, error);
    }

    private void reply(CallFrom f, Object value, HotcodeException error) {
        if (!f.state.compareAndSet(CallFrom.WAITING, CallFrom.ANSWERED)) {
            if (f.state.get() == CallFrom.ANSWERED) {
                throw new HotcodeException("reply: the call from " + f.caller() + " was already answered");
            }
            deadLetters.record(f.caller, value, TIMEOUT); // the caller gave up: a late reply, counted
            return;
        }
        Messages.CallReply r = new Messages.CallReply(f, value, error);
        if (f.caller != null) {
            processes.send(f.caller, r);
        } else {
            f.future.complete(r);
        }
    }

    public void stop(Object server, Object reason, Duration timeout) {
        ServerProcess sp = serverOf(resolve(server, "stop"), "stop");
        sys(sp, SystemRequest.stop(reason), "stop");
        try {
            sp.proc().awaitExit(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ API: sys

    public void suspend(Object server) {
        sys(serverOf(resolve(server, "suspend"), "suspend"), SystemRequest.of(SystemRequest.Kind.SUSPEND), "suspend");
    }

    public void resume(Object server) {
        sys(serverOf(resolve(server, "resume"), "resume"), SystemRequest.of(SystemRequest.Kind.RESUME), "resume");
    }

    public Object getState(Object server) {
        return sys(serverOf(resolve(server, "getState"), "getState"), SystemRequest.of(SystemRequest.Kind.GET_STATE), "getState");
    }

    public Object replaceState(Object server, UnaryOperator<Object> f) {
        if (f == null) {
            throw new HotcodeException("replaceState: the function must not be null");
        }
        return sys(serverOf(resolve(server, "replaceState"), "replaceState"), SystemRequest.replace(f), "replaceState");
    }

    private Object sys(ServerProcess sp, SystemRequest r, String op) {
        if (sp.proc() == Proc.currentOrNull()) {
            throw new HotcodeException(op + ": " + sp.describe() + " cannot send a system request to itself");
        }
        if (!sp.proc().isAlive()) {
            throw new CallException(op + " of " + sp.describe() + " failed: noproc (it exited with "
                    + Terms.format(sp.proc().exitReason()) + ")", sp.proc(), NOPROC);
        }
        sp.request(r);
        try {
            return r.get(SYS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CallException(op + " of " + sp.describe() + " failed: timeout (it did not reach a safe point within "
                    + SYS_TIMEOUT.toMillis() + " ms; it may be busy in a callback)", sp.proc(), TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallException(op + " of " + sp.describe() + " failed: interrupted", sp.proc(), TIMEOUT);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ExitException x) {
                throw new CallException(op + " of " + sp.describe() + " failed: it exited with " + Terms.format(x.reason()),
                        sp.proc(), x.reason());
            }
            throw new HotcodeException(op + " of " + sp.describe() + " failed: " + c, c);
        }
    }

    /** A server's default handleCast/handleInfo met a message it does not handle. */
    public void unexpected(String kind, Object message) {
        Proc p = Proc.current("GenServer.unexpected");
        if (p.behaviour() instanceof ServerProcess sp) {
            sp.unexpected(kind, message);
        } else {
            Log.warn("process " + p + " got an unexpected " + kind + " " + Terms.format(message));
        }
    }

    // ------------------------------------------------------------------ API: upgrades (CodeServerImpl.Upgrader)

    @Override
    public Commit prepare(ModuleVersion from, ModuleVersion to) {
        Set<ServerProcess> all = byModule.get(from.module());
        if (all == null || all.isEmpty()) {
            return Commit.NOTHING;
        }
        ReentrantReadWriteLock.WriteLock lock = lock(from.module()).writeLock();
        lock.lock();
        boolean handedOver = false;
        try {
            List<ServerProcess> servers = new ArrayList<>();
            for (ServerProcess s : all) {
                if (s.version() == from && s.proc().isAlive()) {
                    servers.add(s);
                }
            }
            if (servers.isEmpty()) {
                return Commit.NOTHING;
            }
            long t0 = System.nanoTime();
            long deadline = t0 + migrationBoundMillis * 1_000_000;
            Upgrade u = new Upgrade(this, from, to, servers, false);
            java.util.BitSet claimed = stage(u);
            boolean staged = await(() -> u.awaitStaged(deadline));
            long t1 = System.nanoTime();
            if (!staged) {
                List<ServerProcess> late = u.notStaged();
                u.decide(Upgrade.Verdict.ROLLBACK, claimed);
                long t2 = System.nanoTime();
                MigrationException e = failure(u, late, servers.size(), t2 - t1);
                Log.error(e.getMessage(), e.getCause());
                throw e;
            }
            handedOver = true;
            return () -> {
                try {
                    long t2 = System.nanoTime();
                    u.decide(Upgrade.Verdict.COMMIT, claimed);
                    long t3 = System.nanoTime();
                    if (!from.isInternal()) { // the runtime's own warm-up: not the operator's business
                        Log.info("upgraded " + servers.size() + " server(s) of " + from.module() + " " + from.version()
                                + " -> " + to.version() + ": suspend + migrate " + ms(t1 - t0) + ", commit + resume "
                                + ms(t3 - t2) + " (" + claimed.cardinality() + " migrated while idle, "
                                + (servers.size() - claimed.cardinality()) + " at the end of a callback)");
                    }
                } finally {
                    lock.unlock();
                }
            };
        } finally {
            if (!handedOver) {
                lock.unlock();
            }
        }
    }

    /**
     * Starts every server's migration: idle servers are claimed and migrated on migrator threads (no wake-up, no
     * scheduling of 10,000 processes); busy ones get a system request and migrate themselves at their next safe point.
     */
    private java.util.BitSet stage(Upgrade u) {
        List<ServerProcess> servers = u.servers;
        java.util.BitSet claimed = new java.util.BitSet(servers.size());
        for (int i = 0; i < servers.size(); i++) {
            ServerProcess s = servers.get(i);
            if (s.claim()) {
                claimed.set(i);
            } else {
                s.request(SystemRequest.upgrade(u, i));
            }
        }
        int n = claimed.cardinality();
        int tasks = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), n / 512));
        int[] indices = claimed.stream().toArray();
        for (int k = 0; k < tasks; k++) {
            int from = k * indices.length / tasks;
            int to = (k + 1) * indices.length / tasks;
            if (from == to) {
                continue;
            }
            migrators.execute(() -> {
                for (int j = from; j < to; j++) {
                    int i = indices[j];
                    if (u.verdict() != Upgrade.Verdict.PENDING) {
                        return; // rolled back meanwhile (another server failed): the rest need not migrate
                    }
                    servers.get(i).migrate(u, i);
                }
            });
        }
        return claimed;
    }

    private MigrationException failure(Upgrade u, List<ServerProcess> late, int n, long rollbackNanos) {
        Upgrade.Failure f = u.failure();
        String head = u.from.module() + ": upgrade " + u.from.version() + " -> " + u.to.version() + " rolled back; all "
                + n + " server(s) stay on " + u.from.label() + " with their state and mailbox (rollback took "
                + ms(rollbackNanos) + "). Cause: ";
        if (f != null) {
            return new MigrationException(head + f.what() + " failed in " + f.server().proc() + ": " + f.cause(),
                    f.server().proc(), f.cause());
        }
        List<Pid> pids = new ArrayList<>();
        late.forEach(s -> pids.add(s.proc()));
        Pid first = pids.isEmpty() ? null : pids.get(0);
        return new MigrationException(head + (pids.size() <= 10 ? pids : pids.size() + " processes " + pids.subList(0, 10))
                + " did not reach a safe point and migrate within the migration bound of " + migrationBoundMillis
                + " ms (busy in a callback, or codeChange too slow)", first, null);
    }

    /**
     * The migrate purge for servers: each server in {@code victims} that is between messages moves to {@code current}
     * (its codeChange migrates its state; its mailbox is kept); a server caught in a callback is left for the purge to
     * kill. Returns the servers that moved.
     */
    public List<Proc> migrate(ModuleVersion old, ModuleVersion current, List<Proc> victims) {
        List<ServerProcess> servers = new ArrayList<>();
        for (Proc p : victims) {
            if (p.behaviour() instanceof ServerProcess s && s.version() == old) {
                servers.add(s);
            }
        }
        List<Proc> moved = new ArrayList<>();
        if (servers.isEmpty() || current == null) {
            return moved;
        }
        // only idle servers move: claim them; one caught in a callback is old code mid-execution, left to be killed
        List<ServerProcess> idle = new ArrayList<>();
        long deadline = System.nanoTime() + 100_000_000L;
        for (ServerProcess s : servers) {
            // a server in the runtime's own code (between two system requests, just suspended) is idle in a moment
            while (!s.claim()) {
                if (s.inCallback() || !s.proc().isAlive() || System.nanoTime() > deadline) {
                    break;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(50_000); // leave the cores to the server

            }
            if (s.phaseIsClaimed()) {
                idle.add(s);
            }
        }
        Upgrade u = new Upgrade(this, old, current, idle, true);
        java.util.BitSet claimed = new java.util.BitSet(idle.size());
        claimed.set(0, idle.size());
        migrators.execute(() -> {
            for (int i = 0; i < idle.size() && u.verdict() == Upgrade.Verdict.PENDING; i++) {
                idle.get(i).migrate(u, i);
            }
        });
        await(() -> u.awaitStaged(System.nanoTime() + migrationBoundMillis * 1_000_000));
        u.commitEach(claimed, moved);
        return moved;
    }

    // ------------------------------------------------------------------ internals

    Names names() {
        return names;
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

    private Proc resolve(Object server, String what) {
        if (server instanceof String n) {
            Pid p = names.whereis(n);
            if (p == null) {
                throw new CallException(what + " to " + n + " failed: noproc (no process is registered as " + n + ")", null, NOPROC);
            }
            return processes.lookup(p);
        }
        if (server instanceof Pid pid) {
            return processes.lookup(pid);
        }
        throw new HotcodeException(what + ": a server is a Pid or a registered name, not "
                + (server == null ? "null" : server.getClass().getName() + " " + server));
    }

    private static ServerProcess serverOf(Proc p, String what) {
        if (p.behaviour() instanceof ServerProcess sp) {
            return sp;
        }
        throw new HotcodeException(what + ": " + p + " is not a server (it is a plain process" + (p.isAlive() ? "" : ", and has exited")
                + "); send it messages with Hotcode.send");
    }

    private ReentrantReadWriteLock lock(String module) {
        return locks.computeIfAbsent(module, m -> new ReentrantReadWriteLock());
    }

    private void lockOrFail(java.util.concurrent.locks.Lock lock, String what) {
        try {
            if (!lock.tryLock(migrationBoundMillis, TimeUnit.MILLISECONDS)) {
                throw new HotcodeException(what + ": an upgrade of the module has been in progress for "
                        + migrationBoundMillis + " ms (is a codeChange starting a server of its own module?)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException(what + ": interrupted");
        }
    }

    private interface Wait {
        boolean run() throws InterruptedException;
    }

    private static boolean await(Wait w) {
        try {
            return w.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String ms(long nanos) {
        return String.format("%.1f ms", nanos / 1e6);
    }
}
