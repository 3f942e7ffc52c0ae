package hotcode.runtime.impl.process;

import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Erlang's {@code check_process_code}, run where Erlang runs it: in the process. A process's frames name the versions
 * it entered by qualified calls; a fun (lambda) made by another version runs that version's code without a qualified
 * call, so the frames miss it. Only the process's own thread can walk its stack (a {@link StackWalker} with class
 * references: each frame's class, hence its loader, hence its version), so a check asks each process to do it at its
 * next runtime call, and wakes the ones parked in the runtime (receive, sleep, a server's wait) to do it at once.
 *
 * <p>The request rides on the process's pending-exit slot (a check is "something pending" like an exit signal), so the
 * runtime calls that already look for an exit see it, and neither the message path nor the process gains a field.
 * Processes that cannot answer (busy without runtime calls, blocked in a JDK call) are judged by their frames alone,
 * named in the log.
 */
public final class StackCheck {
    /**
     * How long a check waits for a busy process to reach a runtime call, at most ({@code hotcode.purge.check.ms},
     * set by the runtime's configuration, {@code impl.Config}; outside OSGi the system property; never more than the
     * purge bound; 0 turns the check off: frames only).
     */
    private static volatile long boundMillis = Long.getLong("hotcode.purge.check.ms", 1000);

    /** The configuration's {@code hotcode.purge.check.ms}. */
    public static void bound(long millis) {
        boundMillis = Math.max(0, millis);
    }
    /**
     * A process seen parked outside the runtime this long after it was asked (so not merely waking) cannot answer
     * until that JDK call returns.
     */
    private static final long BLOCKED_AFTER_NANOS = 10_000_000;
    private static final StackWalker WALKER = walker();
    /**
     * How long the asker waits between looks at a process that has not answered: the last answer wakes it sooner
     * ({@link #settled}); the looks are for processes that cannot answer ({@link #parkedOutsideRuntime}) and the bound.
     */
    private static final long LOOK_NANOS = 1_000_000;
    private static final ClassLoader RUNTIME = StackCheck.class.getClassLoader();
    /** A process holds one request at a time (in its pending-exit slot), so checks take turns. */
    private static final ReentrantLock TURN = new ReentrantLock();

    private final ModuleVersion version;
    private final Set<Proc> running = ConcurrentHashMap.newKeySet();
    /** The thread that asks and waits: the last answer unparks it. */
    private final Thread asker = Thread.currentThread();
    /**
     * Requests out (counted before each is made, uncounted once taken back from the slot): the answer that brings
     * it to 0 wakes {@link #asker}, so it is never 0 while a request waits.
     */
    private final AtomicInteger unanswered = new AtomicInteger();

    private StackCheck(ModuleVersion version) {
        this.version = version;
    }

    /**
     * A walker that keeps each frame's class and, where the JDK offers it (22 and later), drops the method's name
     * and line: a check needs only the class, and a frame without them costs the walk about a third less.
     */
    private static StackWalker walker() {
        Set<StackWalker.Option> options = EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        try {
            options.add(StackWalker.Option.valueOf("DROP_METHOD_INFO"));
        } catch (IllegalArgumentException e) {
            // JDK 21: frames carry their method too
        }
        return StackWalker.getInstance(options);
    }

    /**
     * The processes among {@code processes} whose stacks hold code of {@code v} although their frames do not name it
     * (they are inside a fun of {@code v}); each is asked in its own context. Processes whose frames name {@code v},
     * that are exiting, or that wait at a server's safe point (no module code on their stack) are not asked. Waits
     * up to {@code boundMillis} (capped by {@code hotcode.purge.check.ms}) for busy processes.
     */
    public static List<Proc> inFuns(ModuleVersion v, Collection<Proc> processes, long boundMillis) {
        long bound = Math.min(boundMillis, StackCheck.boundMillis);
        if (bound <= 0 || processes.isEmpty()) {
            return new ArrayList<>();
        }
        if (!Thread.currentThread().isVirtual()) {
            // wake them from a virtual thread: a virtual thread unparked from a platform thread (Felix's, the shell's)
            // waits in the scheduler's external queue, which busy carriers serve late
            List<Proc> found = new ArrayList<>();
            Thread t = Thread.ofVirtual().name("hotcode-stack-check").start(() -> found.addAll(ask(v, processes, bound)));
            boolean interrupted = false;
            while (true) { // bounded by the check's own bound; an interrupt must not leave a purge half-decided
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
            return found; // join: the writes of the check's thread are visible here
        }
        return ask(v, processes, bound);
    }

    private static List<Proc> ask(ModuleVersion v, Collection<Proc> processes, long bound) {
        List<Proc> found = new ArrayList<>();
        Proc self = Proc.currentOrNull();
        StackCheck check = new StackCheck(v);
        TURN.lock();
        try {
            List<Proc> asked = new ArrayList<>();
            for (Proc p : processes) {
                if (p.runs(v) || !p.isAlive()) {
                    continue;
                }
                if (p == self) {
                    if (onStack(v)) { // a process purging: it walks its own stack here
                        found.add(p);
                    }
                } else if (!p.atSafePoint() && check.ask(p)) {
                    asked.add(p);
                }
            }
            List<Proc> silent = await(check, asked, bound);
            found.addAll(check.running);
            if (!silent.isEmpty()) {
                Log.info("checking for " + v.label() + ": " + silent.size() + " process(es) did not answer (busy"
                        + " without runtime calls, or blocked in a JDK call), judged by their frames only: "
                        + (silent.size() <= 10 ? silent : silent.subList(0, 10) + "..."));
            }
        } finally {
            TURN.unlock();
        }
        return found;
    }

    /**
     * Waits for the answers, in the order asked (roughly the order they come); returns who could not answer. The
     * asker parks until the last answer wakes it, looking again every {@link #LOOK_NANOS} for processes that cannot
     * answer. Not a poll on a short timer: a timed park's wake-up comes from the JDK's timer thread, and a virtual
     * thread woken by a platform thread waits in the scheduler's external queue, which busy carriers serve late
     * (the wake-up from the last answering process, a virtual thread, joins its carrier's own queue).
     */
    private static List<Proc> await(StackCheck check, List<Proc> asked, long boundMillis) {
        long start = System.nanoTime();
        long deadline = start + boundMillis * 1_000_000;
        List<Proc> silent = new ArrayList<>();
        try {
            for (Proc p : asked) {
                while (check.asked(p)) {
                    long now = System.nanoTime();
                    if (now - deadline >= 0 || (now - start >= BLOCKED_AFTER_NANOS && parkedOutsideRuntime(p))) {
                        silent.add(p);
                        break;
                    }
                    LockSupport.parkNanos(check, Math.min(LOOK_NANOS, deadline - now));
                }
            }
        } finally {
            for (Proc p : asked) {
                check.withdraw(p); // no-op for those who answered; a late answer lands in a finished check
            }
        }
        return silent;
    }

    // ------------------------------------------------------------------ the request, in the pending-exit slot

    /** Asks {@code p}: false when it has exited or an exit is already pending. The asker's thread. */
    private boolean ask(Proc p) {
        unanswered.incrementAndGet(); // before the request is visible: its answer may come at once
        if (p.exited || !Proc.PENDING_EXIT.compareAndSet(p, null, this)) {
            unanswered.decrementAndGet();
            return false;
        }
        LockSupport.unpark(p.owner); // a process parked in the runtime answers at once; a running one, at its next call
        return true;
    }

    /** Whether this check still waits for {@code p}'s answer. */
    private boolean asked(Proc p) {
        return p.pendingExit == this && !p.exited;
    }

    /** The check is over: a process that has not answered is no longer asked. */
    private void withdraw(Proc p) {
        if (Proc.PENDING_EXIT.compareAndSet(p, this, null)) {
            unanswered.decrementAndGet(); // the asker's own thread: nobody to wake
        }
    }

    /**
     * Whether the process's thread is parked or blocked outside the runtime's waits: those answer a check before they
     * park, so a process asked a while ago and seen parked is in a JDK call (or a lock) and cannot answer until then.
     */
    private static boolean parkedOutsideRuntime(Proc p) {
        Thread.State s = p.owner.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING || s == Thread.State.BLOCKED;
    }

    /**
     * {@code p}'s answer, on its own thread ({@code Proc.checkExit} finds this check in its pending-exit slot): it
     * runs {@link #version} if a frame's class belongs to it. Then the request is cleared; an exit signal that came
     * meanwhile stays.
     */
    void answer(Proc p) {
        if (onStack(version)) {
            running.add(p); // before the request is cleared: the asker reads the cleared request, then this set
        }
        if (Proc.PENDING_EXIT.compareAndSet(p, this, null)) {
            settled();
        }
    }

    /** One request less to wait for (answered, or replaced by an exit signal); the last wakes the asker. */
    void settled() {
        if (unanswered.decrementAndGet() == 0) {
            LockSupport.unpark(asker);
        }
    }

    /** Whether the calling thread's stack holds a frame of {@code v}'s code. */
    static boolean onStack(ModuleVersion v) {
        return WALKER.walk(frames -> frames.anyMatch(f -> {
            Class<?> c = f.getDeclaringClass();
            ClassLoader cl = c.getClassLoader();
            return cl != null && cl != RUNTIME && Crossing.ownerOf(c) == v;
        }));
    }

    @Override
    public String toString() {
        return "stack check for " + version.label();
    }
}
