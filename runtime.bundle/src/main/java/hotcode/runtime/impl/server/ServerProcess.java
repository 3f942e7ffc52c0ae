package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.Log;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One server process, after gen_server.erl: the loop that receives a message, calls the callback, and keeps the
 * state. It is the process's only step (it returns itself), so between two messages it is at its <em>safe point</em>:
 * there, and only there, it serves system requests (suspend, resume, get/replace state, stop, upgrade).
 *
 * <p>The process's one frame names the module version whose class the server runs, so purges, soft purges and
 * {@code checkProcessCode} see servers like any process. An upgrade replaces that frame when it commits.
 */
final class ServerProcess implements Next, Proc.ExitHook {
    private static final Object[] ANY = {Terms.ANY};
    static final Atom INCOMPATIBLE = Atom.of("incompatible");
    static final Atom UNEXPECTED = Atom.of("unexpected");

    private final Servers servers;
    /** The module whose class this server runs; null for the runtime's own servers (supervisors). */
    final String module;
    final String className;
    private final Object arg;
    private final String name;
    private volatile ModuleVersion version;
    private volatile Proc proc;
    private Class<?> type;
    private Server<Object> instance;
    private Object state;
    private boolean initialized;
    private boolean suspended;
    /** Set while a callback runs: a migrate purge kills a server caught mid-callback and moves the others. */
    private volatile boolean inCallback;
    private volatile SystemRequest upgrading;
    final CompletableFuture<Void> started = new CompletableFuture<>();
    private final ConcurrentLinkedQueue<SystemRequest> requests = new ConcurrentLinkedQueue<>();

    ServerProcess(Servers servers, String module, Class<?> type, Server<Object> instance, Object arg, String name,
                  ModuleVersion version) {
        this.servers = servers;
        this.module = module;
        this.className = type.getName();
        this.type = type;
        this.instance = instance;
        this.arg = arg;
        this.name = name;
        this.version = version;
    }

    // ------------------------------------------------------------------ API (any thread)

    ModuleVersion version() {
        return version;
    }

    Proc proc() {
        return proc;
    }

    void attach(Proc p) {
        proc = p;
    }

    boolean inCallback() {
        return inCallback;
    }

    /** Queues a system request and wakes the server; a server that has exited fails it at once. */
    SystemRequest request(SystemRequest r) {
        requests.add(r);
        Proc p = proc;
        p.signalSystem();
        if (!p.isAlive()) {
            failPending(p.exitReason());
        }
        return r;
    }

    void wake() {
        proc.signalSystem();
    }

    /** "server CounterServer of counter 1.0.0 <0.42.0>": how logs and errors name a server. */
    String describe() {
        ModuleVersion v = version;
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return "server " + simple + (v == null ? "" : " of " + v.label()) + " " + proc;
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public Next run() {
        if (!initialized) {
            init();
            return this;
        }
        if (!requests.isEmpty()) {
            serveSystem();
        }
        Object m;
        try {
            m = proc.receiveOrSystem(ANY);
        } catch (hotcode.runtime.api.IncompatibleValueException e) {
            Log.warn(describe() + " refused a message: " + e.getMessage() + " (counted as a dead letter)");
            return this;
        }
        if (m != Proc.SYSTEM) {
            dispatch(m);
        }
        return this;
    }

    private void init() {
        Proc p = Proc.current("server");
        proc = p;
        try {
            if (instance == null) {
                instance = servers.instantiate(type, version);
            }
            type = null; // the class is reached through the instance from now on, never cached across versions
            if (name != null) {
                servers.names().register(name, p);
            }
            state = instance.init(arg);
        } catch (Throwable t) {
            started.completeExceptionally(t);
            throw t instanceof ExitException e ? e : new ExitException(t);
        }
        initialized = true;
        started.complete(null);
    }

    private void dispatch(Object m) {
        inCallback = true;
        try {
            if (m instanceof Messages.Call c) {
                call(c);
            } else if (m instanceof Messages.Cast c) {
                state = instance.handleCast(c.message(), state);
            } else {
                state = instance.handleInfo(m, state);
            }
        } catch (ExitException e) {
            if (!proc.exitPending()) {
                terminate(e.reason()); // the server's own exit(reason); an exit signal skips terminate, as in Erlang
            }
            throw e;
        } catch (Throwable t) {
            Log.error(describe() + " crashed in " + callback(m) + " on " + Terms.format(m) + ": " + t, t);
            terminate(t);
            throw new ExitException(t);
        } finally {
            inCallback = false;
        }
    }

    private void call(Messages.Call c) throws Exception {
        try {
            Crossing.check("request", c.request(), version);
        } catch (HotcodeException e) {
            servers.deadLetter(proc, c.request(), INCOMPATIBLE);
            servers.fail(c.from(), e);
            return;
        }
        Reply<Object> r = instance.handleCall(c.request(), c.from(), state);
        if (r == null) {
            throw new HotcodeException(describe() + ": handleCall returned null for " + Terms.format(c.request())
                    + "; return Reply.reply(value, state), Reply.noReply(state) or Reply.stop(reason, value, state)");
        }
        state = r.state();
        if (r.isReply() || r.isStop()) {
            servers.reply(c.from(), r.value());
        }
        if (r.isStop()) {
            terminate(r.reason());
            throw new ExitException(r.reason());
        }
    }

    private void terminate(Object reason) {
        try {
            instance.terminate(reason, state);
        } catch (Throwable t) {
            Log.error(describe() + ": terminate(" + reason + ") failed: " + t, t);
        }
    }

    private static String callback(Object m) {
        return m instanceof Messages.Call ? "handleCall" : m instanceof Messages.Cast ? "handleCast" : "handleInfo";
    }

    // ------------------------------------------------------------------ system requests (owner only)

    private void serveSystem() {
        SystemRequest r;
        while ((r = requests.poll()) != null) {
            serve(r);
        }
        while (suspended) {
            proc.awaitSystem();
            while ((r = requests.poll()) != null) {
                serve(r);
            }
        }
    }

    private void serve(SystemRequest r) {
        switch (r.kind) {
            case SUSPEND -> {
                suspended = true;
                r.complete(null);
            }
            case RESUME -> {
                suspended = false;
                r.complete(null);
            }
            case GET_STATE -> r.complete(state);
            case REPLACE_STATE -> {
                try {
                    state = r.replace.apply(state);
                    r.complete(state);
                } catch (Throwable t) {
                    r.completeExceptionally(t);
                }
            }
            case STOP -> {
                terminate(r.reason);
                r.complete(null);
                throw new ExitException(r.reason);
            }
            case UPGRADE -> upgrade(r);
        }
    }

    /**
     * Migrates this server's state into {@code u.to} with the new version's codeChange, reports it, and waits for
     * the verdict: commit switches class, state and frame at once; rollback keeps everything as it was.
     */
    private void upgrade(SystemRequest r) {
        Upgrade u = r.upgrade;
        int i = r.index;
        if (u.verdict() != Upgrade.Verdict.PENDING && !u.autoCommit) {
            u.resumed(i); // rolled back before this server reached its safe point: nothing to undo
            r.complete(null);
            return;
        }
        upgrading = r;
        Server<Object> next = null;
        Object migrated = null;
        Throwable failure = null;
        String what = null;
        ModuleVersion from = version;
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(u.to.loader());
        try {
            what = "loading " + className + " from " + u.to.label();
            next = servers.instantiate(servers.serverClass(u.to, className), u.to);
            what = "codeChange(\"" + from.version() + "\", state) of " + className + " in " + u.to.label();
            migrated = next.codeChange(from.version(), state, null);
            if (migrated == null) {
                throw new HotcodeException(what + " returned null; it must return the new state");
            }
            String stale = StateCheck.staleObject(migrated, u.to);
            if (stale != null) {
                throw new HotcodeException(what + " returned a state that " + u.to.label() + " cannot read: " + stale
                        + (next.getClass().getMethod("codeChange", String.class, Object.class, Object.class)
                        .getDeclaringClass() == hotcode.runtime.api.Server.class
                        ? " (" + className + " does not override codeChange; convert the state with Records.convert)" : ""));
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            t.setContextClassLoader(before);
        }
        u.staged(i, this, what, failure);
        boolean commit;
        if (u.autoCommit) {
            commit = failure == null;
        } else {
            while (u.verdict() == Upgrade.Verdict.PENDING) {
                proc.awaitSystem();
            }
            commit = failure == null && u.verdict() == Upgrade.Verdict.COMMIT;
        }
        if (commit) {
            instance = next;
            state = migrated;
            version = u.to;
            proc.replaceTopFrame(u.to, "server", null);
        }
        upgrading = null;
        u.resumed(i);
        r.complete(commit);
        if (u.autoCommit && !commit) {
            // a migrate purge could not move this server: it dies with its old code, as a plain purge would do
            throw new ExitException(hotcode.runtime.api.Hotcode.KILLED);
        }
    }

    // ------------------------------------------------------------------ callbacks: Proc.ExitHook

    @Override
    public void exited(Proc p, Object reason) {
        servers.forget(this);
        if (!started.isDone()) {
            started.completeExceptionally(new ExitException(reason));
        }
        SystemRequest u = upgrading;
        if (u != null) {
            u.upgrade.gone(u.index);
        }
        failPending(reason);
    }

    private void failPending(Object reason) {
        SystemRequest r;
        while ((r = requests.poll()) != null) {
            if (r.upgrade != null) {
                r.upgrade.gone(r.index);
            }
            r.completeExceptionally(new ExitException(reason));
        }
    }

    /** A message no callback handles (the behaviour's defaults): reported and counted, the server goes on. */
    void unexpected(String kind, Object message) {
        Log.warn(describe() + " got an unexpected " + kind + " " + Terms.format(message)
                + ": no handle" + (kind.equals("cast") ? "Cast" : "Info") + " of " + className
                + " handles it (counted as a dead letter; the state is unchanged)");
        servers.deadLetter(proc, message, UNEXPECTED);
    }
}
