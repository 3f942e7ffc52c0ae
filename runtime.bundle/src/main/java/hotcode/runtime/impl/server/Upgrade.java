package hotcode.runtime.impl.server;

import hotcode.runtime.impl.code.ModuleVersion;

import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One upgrade of a module's servers from one version to another: every server stages its migrated state at its safe
 * point, then all commit or all roll back together ({@link #decide}). In a migrate purge ({@code autoCommit}), each
 * server commits on its own success instead. Each server's progress is marked once (staged, resumed), so a server that
 * exits half-way counts exactly once.
 */
final class Upgrade {
    enum Verdict { PENDING, COMMIT, ROLLBACK }

    private static final int STAGED = 1, RESUMED = 2;

    /** The first failure: which server and why. */
    record Failure(ServerProcess server, String what, Throwable cause) {
    }

    final ModuleVersion from;
    final ModuleVersion to;
    final boolean autoCommit; // a migrate purge: no verdict for all, each server commits alone
    final List<ServerProcess> servers;
    private final AtomicIntegerArray marks;
    /** What each server's migration produced (null state: it failed), read by the commit. */
    private final Object[] stagedInstances;
    private final Object[] stagedStates;
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final Object monitor = new Object();
    private final java.util.concurrent.atomic.AtomicInteger toStage;
    private volatile Verdict verdict = Verdict.PENDING;

    private final Servers owner;
    /** Per upgrade, never longer: the new version's server classes and constructors, by name. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> constructors = new java.util.concurrent.ConcurrentHashMap<>();

    Upgrade(Servers owner, ModuleVersion from, ModuleVersion to, List<ServerProcess> servers, boolean autoCommit) {
        this.owner = owner;
        this.from = from;
        this.to = to;
        this.servers = servers;
        this.autoCommit = autoCommit;
        this.marks = new AtomicIntegerArray(servers.size());
        this.stagedInstances = new Object[servers.size()];
        this.stagedStates = new Object[servers.size()];
        this.toStage = new java.util.concurrent.atomic.AtomicInteger(servers.size());
    }

    Verdict verdict() {
        return verdict;
    }

    Failure failure() {
        return failure.get();
    }

    // ------------------------------------------------------------------ from the servers

    /** Records what server {@code i}'s migration produced; published to the committing thread by {@link #staged}. */
    void stage(int i, Object instance, Object state) {
        stagedInstances[i] = instance;
        stagedStates[i] = state;
    }

    @SuppressWarnings("unchecked")
    hotcode.runtime.api.Server<Object> stagedInstance(int i) {
        return (hotcode.runtime.api.Server<Object>) stagedInstances[i];
    }

    Object stagedState(int i) {
        return stagedStates[i];
    }

    /** Server {@code i} has migrated its state (failed: {@code cause} is not null) and waits for the verdict. */
    void staged(int i, ServerProcess s, String what, Throwable cause) {
        if (cause != null) {
            failure.compareAndSet(null, new Failure(s, what, cause));
        }
        mark(i, STAGED, cause != null);
    }

    /** Server {@code i} runs again (on the new version after a commit, on the old one otherwise). */
    void resumed(int i) {
        mark(i, STAGED, false);
        mark(i, RESUMED, false);
    }

    /** Server {@code i} exited: it no longer holds the upgrade up. */
    void gone(int i) {
        resumed(i);
    }

    private boolean mark(int i, int bit, boolean failed) {
        int before = marks.getAndUpdate(i, m -> m | bit);
        if ((before & bit) != 0) {
            return false;
        }
        if (bit != STAGED) {
            return true; // RESUMED only makes each server's release happen once
        }
        int left = toStage.decrementAndGet();
        if (failed || left == 0) {
            synchronized (monitor) { // only the last one (or a failure) takes the lock, to wake the upgrading thread
                monitor.notifyAll();
            }
        }
        return true;
    }

    /** A new instance of the new version's server class {@code name} (looked up and checked once per upgrade). */
    @SuppressWarnings("unchecked")
    hotcode.runtime.api.Server<Object> instantiate(String name) throws Throwable {
        Object c = constructors.computeIfAbsent(name, n -> {
            try {
                Class<?> type = owner.serverClass(to, n);
                return java.lang.invoke.MethodHandles.publicLookup().findConstructor(type,
                        java.lang.invoke.MethodType.methodType(void.class));
            } catch (RuntimeException | ReflectiveOperationException e) {
                return e;
            }
        });
        if (c instanceof Throwable t) {
            throw t;
        }
        return (hotcode.runtime.api.Server<Object>) ((java.lang.invoke.MethodHandle) c).invoke();
    }

    /** Whether {@code type} overrides the behaviour's default codeChange (for the error message only). */
    static boolean overridesCodeChange(Class<?> type) {
        try {
            return type.getMethod("codeChange", String.class, Object.class, Object.class).getDeclaringClass()
                    != hotcode.runtime.api.Server.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ from the upgrading thread

    /** Waits until every server has staged, or one failed, or the deadline passed; true when all staged cleanly. */
    boolean awaitStaged(long deadlineNanos) throws InterruptedException {
        synchronized (monitor) {
            while (toStage.get() > 0 && (autoCommit || failure.get() == null)) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                monitor.wait(left / 1_000_000, (int) (left % 1_000_000));
            }
            return failure.get() == null;
        }
    }

    /** The servers that have not staged (still busy, or stuck in codeChange). */
    List<ServerProcess> notStaged() {
        List<ServerProcess> out = new java.util.ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            if ((marks.get(i) & STAGED) == 0) {
                out.add(servers.get(i));
            }
        }
        return out;
    }

    /**
     * The verdict. Commit: every server (all staged, all quiescent) gets its new class, state and frame here, on the
     * upgrading thread, so the upgrade is complete when this returns, however busy the scheduler is. Rollback: the
     * staged states are simply never used. Then, whatever happened above, claimed servers are released and servers
     * waiting for the verdict woken; servers that never reached their safe point will skip the request.
     */
    void decide(Verdict v, java.util.BitSet claimed) {
        try {
            if (v == Verdict.COMMIT) {
                for (int i = 0; i < servers.size(); i++) {
                    if (stagedStates[i] != null) { // none for a server that exited meanwhile
                        commitOne(i);
                    }
                }
            }
        } finally {
            verdict = v;
            releaseAll(claimed);
            forgetStaged();
        }
    }

    /** Drops what the migrations produced: a rolled-back upgrade's states and instances must not stay reachable. */
    private void forgetStaged() {
        java.util.Arrays.fill(stagedInstances, null);
        java.util.Arrays.fill(stagedStates, null);
        constructors.clear();
    }

    /** A migrate purge: each server that migrated commits alone (listed in {@code moved}); the others stay to be killed. */
    void commitEach(java.util.BitSet claimed, List<hotcode.runtime.impl.process.Proc> moved) {
        try {
            for (int i = 0; i < servers.size(); i++) {
                if ((marks.get(i) & STAGED) != 0 && stagedStates[i] != null && commitOne(i)) {
                    moved.add(servers.get(i).proc());
                }
            }
        } finally {
            verdict = Verdict.COMMIT;
            releaseAll(claimed);
            forgetStaged();
        }
    }

    /** Commits server {@code i}; false (logged) when it could not, e.g. it exited meanwhile. Never throws. */
    private boolean commitOne(int i) {
        ServerProcess s = servers.get(i);
        try {
            s.commit(this, i);
            return s.version() == to;
        } catch (RuntimeException | Error e) {
            hotcode.runtime.impl.log.Log.error("upgrade of " + from.module() + ": could not commit " + s.describe() + ": " + e, e);
            return false;
        }
    }

    private void releaseAll(java.util.BitSet claimed) {
        fromVirtualThread(() -> {
            for (int i = 0; i < servers.size(); i++) {
                ServerProcess s = servers.get(i);
                if (claimed.get(i)) {
                    mark(i, STAGED, false);
                    if (mark(i, RESUMED, false)) {
                        s.release(); // once per server: a late second waker must not free a later upgrade's claim
                    }
                } else if ((marks.get(i) & STAGED) == 0) {
                    mark(i, STAGED, false); // decided before it reached its safe point: it leaves its state alone
                    mark(i, RESUMED, false);
                } else if ((marks.get(i) & RESUMED) == 0) {
                    s.wake();
                }
            }
        });
    }

    /**
     * Runs {@code wakeUps} on a virtual thread and waits for it, briefly. Why: a virtual thread unparked from a platform
     * thread (the one calling {@code Bundle.update}) is queued in the scheduler's external queue, which its carriers
     * serve only when their own queues run dry; under a steady load of calls they seldom do, and the servers released
     * by an upgrade were seen waiting hundreds of milliseconds. Unparked from a virtual thread, they join a carrier's
     * queue in order with everything else. If no carrier takes the waker within the bound (all busy in long steps),
     * this thread does the wake-ups too: they are idempotent, and the caller must not hang on the scheduler.
     */
    static void fromVirtualThread(Runnable wakeUps) {
        if (Thread.currentThread().isVirtual()) {
            wakeUps.run();
            return;
        }
        Thread t;
        try {
            t = Thread.ofVirtual().name("hotcode-upgrade-release").start(wakeUps);
        } catch (RuntimeException | Error e) {
            wakeUps.run(); // no virtual thread (out of memory?): the releases must happen anyway
            return;
        }
        boolean done;
        try {
            done = t.join(java.time.Duration.ofMillis(200));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done = false;
        }
        if (!done) {
            wakeUps.run();
        }
    }
}
