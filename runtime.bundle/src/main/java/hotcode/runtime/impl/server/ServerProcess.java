package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.SystemSignals;

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
    /**
     * {@link #IDLE} while the server waits for a message at its safe point, {@link #RUNNING} otherwise. An upgrade
     * claims an idle server ({@link #claim}: IDLE -> CLAIMED) and migrates its state on a migrator thread while the
     * server stays quiescent; a server that wakes up claimed waits until it is released ({@link #settle}).
     */
    private volatile int phase;
    private volatile boolean waitingForRelease;
    /** Set while module code runs (init, a callback): a migrate purge kills such a server instead of moving it. */
    private volatile boolean inCallback = true;
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

    static final int RUNNING = 0, IDLE = 1, CLAIMED = 2;
    private static final java.lang.invoke.VarHandle PHASE;

    static {
        try {
            PHASE = java.lang.invoke.MethodHandles.lookup().findVarHandle(ServerProcess.class, "phase", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Claims the server for a migration if it is idle at its safe point; it then stays quiescent until released. */
    boolean claim() {
        return PHASE.compareAndSet(this, IDLE, CLAIMED);
    }

    boolean phaseIsClaimed() {
        return phase == CLAIMED;
    }

    /** Whether module code (init or a callback) is running in this server now. */
    boolean inCallback() {
        return inCallback;
    }

    /** Idle or claimed: the server waits in the runtime's loop, with no module code on its stack (stack checks). */
    @Override
    public boolean atSafePoint() {
        return phase != RUNNING;
    }

    /** Ends a claim: the server may serve again (and is woken if it was waiting for this). */
    void release() {
        if (phase == CLAIMED) {
            phase = IDLE;
            if (waitingForRelease) {
                SystemSignals.signal(proc);
            }
        }
    }

    /** Queues a system request and wakes the server; a server that has exited fails it at once. */
    SystemRequest request(SystemRequest r) {
        requests.add(r);
        Proc p = proc;
        SystemSignals.signal(p);
        if (!p.isAlive()) {
            failPending(p.exitReason());
        }
        return r;
    }

    void wake() {
        SystemSignals.signal(proc);
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
        phase = IDLE;
        try {
            m = SystemSignals.receive(proc, ANY);
        } catch (hotcode.runtime.api.IncompatibleValueException e) {
            settle();
            Log.warn(describe() + " refused a message: " + e.getMessage() + " (counted as a dead letter)");
            return this;
        }
        settle();
        if (m != SystemSignals.SYSTEM) {
            dispatch(m); // a message taken while claimed waited in hand: it is still the oldest, served first
        }
        return this;
    }

    /** Leaves the safe point; if an upgrade has claimed the server meanwhile, waits until it is released. */
    private void settle() {
        if (PHASE.compareAndSet(this, IDLE, RUNNING)) {
            return;
        }
        waitingForRelease = true; // then read phase: release() writes phase, then reads this (no lost wake-up)
        try {
            // a CAS, not a write: another upgrade may claim the server again the moment this one releases it
            while (!PHASE.compareAndSet(this, IDLE, RUNNING)) {
                int p = phase;
                if (p == CLAIMED) {
                    SystemSignals.await(proc);
                } else if (p == RUNNING) {
                    break;
                }
            }
        } finally {
            waitingForRelease = false;
        }
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
        inCallback = false;
        started.complete(null);
    }

    private void dispatch(Object m) {
        inCallback = true;
        try {
            if (m instanceof Messages.Call c) {
                call(c);
            } else if (m instanceof Messages.Cast c) {
                if (readable(c.message())) {
                    state = instance.handleCast(c.message(), state);
                }
            } else if (readable(m)) {
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

    /**
     * Whether the version that will handle {@code m} can read it: checked here, after any upgrade that happened while
     * the message was held (receive checked it against the version then), and inside casts, which receive cannot see.
     */
    private boolean readable(Object m) {
        HotcodeException e = unreadable("message", m);
        if (e != null) {
            Log.warn(describe() + " refused a message: " + e.getMessage() + " (counted as a dead letter)");
        }
        return e == null;
    }

    /** Null when this server's version can read {@code m}; else the refusal, with {@code m} counted as a dead letter. */
    private HotcodeException unreadable(String what, Object m) {
        ModuleVersion v = version;
        if (v == null) {
            return null;
        }
        try {
            Crossing.check(what, m, v);
            return null;
        } catch (HotcodeException e) {
            servers.deadLetter(proc, m, INCOMPATIBLE);
            return e;
        }
    }

    private void call(Messages.Call c) throws Exception {
        HotcodeException refused = unreadable("request", c.request());
        if (refused != null) {
            servers.calls().fail(c.from(), refused);
            return;
        }
        Reply<Object> r = instance.handleCall(c.request(), c.from(), state);
        if (r == null) {
            throw new HotcodeException(describe() + ": handleCall returned null for " + Terms.format(c.request())
                    + "; return Reply.reply(value, state), Reply.noReply(state) or Reply.stop(reason, value, state)");
        }
        state = r.state();
        if (r.isReply() || r.isStop()) {
            servers.calls().reply(c.from(), r.value());
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
            phase = IDLE; // suspended is quiescent too: an upgrade may claim it and migrate it where it waits
            try {
                SystemSignals.await(proc);
            } finally {
                settle();
            }
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
     * An upgrade reached a server that was busy when it began: it migrates its own state at this safe point, then
     * waits, quiescent, for the verdict (the upgrading thread commits it meanwhile).
     */
    private void upgrade(SystemRequest r) {
        Upgrade u = r.upgrade;
        int i = r.index;
        if (u.verdict() != Upgrade.Verdict.PENDING) {
            u.resumed(i); // decided before this server reached its safe point: nothing to do
            r.complete(Boolean.FALSE);
            return;
        }
        upgrading = r;
        migrate(u, i);
        while (u.verdict() == Upgrade.Verdict.PENDING) {
            SystemSignals.await(proc);
        }
        upgrading = null;
        u.resumed(i);
        r.complete(version == u.to);
    }

    /**
     * Runs the new version's codeChange on this server's state and stages the result, or the failure. Runs on the
     * server's own thread ({@link #upgrade}) or on a migrator thread while the server is claimed; either way the server
     * is quiescent, so its fields are stable.
     */
    void migrate(Upgrade u, int i) {
        Server<Object> next = null;
        Object migrated = null;
        Throwable failure = null;
        boolean loading = true;
        ModuleVersion from = version;
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(u.to.loader());
        try {
            next = u.instantiate(className);
            loading = false;
            migrated = next.codeChange(from.version(), state, null);
            if (migrated == null) {
                throw new HotcodeException("it returned null; it must return the new state");
            }
            String stale = StateCheck.staleObject(migrated, u.to);
            if (stale != null) {
                throw new HotcodeException("it returned a state that " + u.to.label() + " cannot read: " + stale
                        + (Upgrade.overridesCodeChange(next.getClass()) ? ""
                        : " (" + className + " does not override codeChange; convert the state with Records.convert)"));
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            t.setContextClassLoader(before);
        }
        u.stage(i, next, failure == null ? migrated : null); // into this upgrade: a late one cannot touch another
        String what = failure == null ? null : loading ? "loading " + className + " from " + u.to.label()
                : "codeChange(\"" + from.version() + "\", state) of " + className + " in " + u.to.label()
                + (t == proc.thread() ? "" : " (run by the runtime while the server was idle)"); // the message names it
        u.staged(i, this, what, failure);
    }

    /**
     * The verdict is commit: switches class, state and frame at once, to what {@code u} staged for this server. The
     * server is quiescent (claimed or waiting); a server that has exited meanwhile is left alone.
     */
    void commit(Upgrade u, int i) {
        if (!proc.replaceTopFrameOf(u.to, "server")) {
            return;
        }
        instance = u.stagedInstance(i);
        state = u.stagedState(i);
        version = u.to;
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
