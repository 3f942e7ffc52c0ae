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
    final boolean autoCommit;
    final List<ServerProcess> servers;
    private final AtomicIntegerArray marks;
    private final AtomicReference<Failure> failure = new AtomicReference<>();
    private final Object monitor = new Object();
    private int toStage;
    private int toResume;
    private volatile Verdict verdict = Verdict.PENDING;

    Upgrade(ModuleVersion from, ModuleVersion to, List<ServerProcess> servers, boolean autoCommit) {
        this.from = from;
        this.to = to;
        this.servers = servers;
        this.autoCommit = autoCommit;
        this.marks = new AtomicIntegerArray(servers.size());
        this.toStage = servers.size();
        this.toResume = servers.size();
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
        synchronized (monitor) {
            if (bit == STAGED) {
                toStage--;
            } else {
                toResume--;
            }
            if (failed || toStage == 0 || toResume == 0) {
                monitor.notifyAll();
            }
        }
    }

    // ------------------------------------------------------------------ from the upgrading thread

    /** Waits until every server has staged, or one failed, or the deadline passed; true when all staged cleanly. */
    boolean awaitStaged(long deadlineNanos) throws InterruptedException {
        synchronized (monitor) {
            while (toStage > 0 && failure.get() == null) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                monitor.wait(left / 1_000_000, (int) (left % 1_000_000));
            }
            return failure.get() == null;
        }
    }

    /** Waits until every server that staged has resumed, or the deadline passed; true when all did. */
    boolean awaitResumed(long deadlineNanos) throws InterruptedException {
        synchronized (monitor) {
            while (toResume > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                monitor.wait(left / 1_000_000, (int) (left % 1_000_000));
            }
            return true;
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

    /** Servers that never staged will skip the request; wakes every server waiting for the verdict. */
    void decide(Verdict v) {
        verdict = v;
        for (int i = 0; i < servers.size(); i++) {
            int m = marks.get(i);
            if ((m & STAGED) == 0 && v == Verdict.ROLLBACK) {
                mark(i, STAGED, false); // it has not started: it will see the verdict and leave its state alone
                mark(i, RESUMED, false);
            } else if ((m & RESUMED) == 0) {
                servers.get(i).wake();
            }
        }
    }
}
