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
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final Object monitor = new Object();
    private final java.util.concurrent.atomic.AtomicInteger toStage;
    private final java.util.concurrent.atomic.AtomicInteger toResume;
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
        this.toStage = new java.util.concurrent.atomic.AtomicInteger(servers.size());
        this.toResume = new java.util.concurrent.atomic.AtomicInteger(servers.size());
    }

    Verdict verdict() {
        return verdict;
    }

    Failure failure() {
        return failure.get();
    }

    // ------------------------------------------------------------------ from the servers

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

    private void mark(int i, int bit, boolean failed) {
        int before = marks.getAndUpdate(i, m -> m | bit);
        if ((before & bit) != 0) {
            return;
        }
        int left = (bit == STAGED ? toStage : toResume).decrementAndGet();
        if (failed || left == 0) {
            synchronized (monitor) { // only the last one (or a failure) takes the lock, to wake the upgrading thread
                monitor.notifyAll();
            }
        }
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
            while (toStage.get() > 0 && failure.get() == null) {
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
     * upgrading thread, so the upgrade is complete when this returns, however busy the scheduler is. Rollback: staged
     * states are dropped. Then claimed servers are released and servers waiting for the verdict woken; servers that
     * never reached their safe point will skip the request.
     */
    void decide(Verdict v, java.util.BitSet claimed) {
        for (int i = 0; i < servers.size(); i++) {
            ServerProcess s = servers.get(i);
            if ((marks.get(i) & STAGED) == 0) {
                continue; // still busy (rollback only): it has not touched its state
            }
            if (v == Verdict.COMMIT) {
                s.commit(to);
            } else {
                s.discard();
            }
        }
        verdict = v;
        fromVirtualThread(() -> {
            for (int i = 0; i < servers.size(); i++) {
                ServerProcess s = servers.get(i);
                if (claimed.get(i)) {
                    s.release();
                    resumed(i);
                } else if ((marks.get(i) & STAGED) == 0) {
                    mark(i, STAGED, false); // rollback before it reached its safe point: it leaves its state alone
                    mark(i, RESUMED, false);
                } else if ((marks.get(i) & RESUMED) == 0) {
                    s.wake();
                }
            }
        });
    }

    /**
     * Runs {@code wakeUps} on a virtual thread and waits for it. Why: a virtual thread unparked from a platform thread
     * (the one calling {@code Bundle.update}) is queued in the scheduler's external queue, which its carriers serve only
     * when their own queues run dry; under a steady load of calls they seldom do, and the servers released by an
     * upgrade were seen waiting hundreds of milliseconds. Unparked from a virtual thread, they join a carrier's queue in
     * order with everything else.
     */
    static void fromVirtualThread(Runnable wakeUps) {
        if (Thread.currentThread().isVirtual()) {
            wakeUps.run();
            return;
        }
        Thread t = Thread.ofVirtual().name("hotcode-upgrade-release").start(wakeUps);
        boolean interrupted = false;
        for (;;) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** A migrate purge: each server that migrated commits alone; the others stay for the purge to kill. */
    void commitEach(java.util.BitSet claimed, List<hotcode.runtime.impl.process.Proc> moved) {
        for (int i = 0; i < servers.size(); i++) {
            ServerProcess s = servers.get(i);
            if ((marks.get(i) & STAGED) != 0 && s.stagedOk()) {
                s.commit(to);
                moved.add(s.proc());
            } else {
                s.discard();
            }
        }
        verdict = Verdict.COMMIT;
        fromVirtualThread(() -> {
            for (int i = 0; i < servers.size(); i++) {
                if (claimed.get(i)) {
                    servers.get(i).release();
                } else {
                    servers.get(i).wake();
                }
            }
        });
    }
}
