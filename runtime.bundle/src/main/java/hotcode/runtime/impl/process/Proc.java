package hotcode.runtime.impl.process;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.ProcessAccess;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

import static hotcode.runtime.api.Hotcode.DOWN;
import static hotcode.runtime.api.Hotcode.EXIT;
import static hotcode.runtime.api.Hotcode.KILL;
import static hotcode.runtime.api.Hotcode.KILLED;
import static hotcode.runtime.api.Hotcode.NORMAL;
import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * A process: a virtual thread running a trampoline of {@link Next} steps, its mailbox, its links and monitors, and
 * the stack of module versions it is executing (one frame per qualified call in progress). The process object is
 * also its {@link Pid}, and the {@link ProcessAccess} through which the API's {@code receive}, {@code trapExit} and
 * {@code sleep} reach it.
 *
 * <p>Exit signals are asynchronous as in Erlang: {@link #exitSignal} records the reason and wakes the process; the
 * process itself unwinds at its next runtime call ({@link #checkExit()}), and terminates on its own thread, so its
 * mailbox has a single owner to the end.
 *
 * <p>The protocols that wake a waiting process for something other than a message live in classes of their own, over
 * this class's (package-private) fields, so they add neither an object nor a field per process:
 * {@link SystemSignals} (a server's system requests), {@link Moves} (a migrate purge moving a plain process) and
 * {@link StackCheck} (a purge asking whether a fun of old code is on the stack; it rides in the pending-exit slot).
 * Their waits are this class's {@link #receive} and {@code await}, which test each protocol's field inline.
 */
public final class Proc extends Mailbox implements ProcessAccess, Runnable, Thread.UncaughtExceptionHandler {
    static final Atom PROCESS = Atom.of("process");
    static final Atom INCOMPATIBLE = Atom.of("incompatible");
    /** The sender of exit signals that come from the runtime or the shell rather than from a process. */
    static final Atom RUNTIME = Atom.of("hotcode");
    static final Atom SHUTDOWN = Atom.of("shutdown");
    private static final ClassLoader RUNTIME_LOADER = Proc.class.getClassLoader();
    /** The pending-exit slot, for the compare-and-sets of the exit signals and of {@link StackCheck}. */
    static final VarHandle PENDING_EXIT;
    /** The process's lock ({@link #lock()}). */
    private static final VarHandle LOCK;

    static {
        try {
            PENDING_EXIT = MethodHandles.lookup().findVarHandle(Proc.class, "pendingExit", Object.class);
            LOCK = MethodHandles.lookup().findVarHandle(Proc.class, "lockState", byte.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /**
     * How long a receive that finds nothing polls its mailbox, busy on its carrier, before it parks
     * ({@code hotcode.receive.spin.ns}; 0: it parks at once). A reply often comes within a microsecond or two, and
     * parking and waking a virtual thread costs more than that. Read once, when this class initializes (the runtime
     * has installed its configuration by then): a static final, so the JIT treats it as a constant on the receive path.
     */
    private static final long SPIN_NANOS = ReceiveSpin.nanos();
    /**
     * How long a poll waits for the process its own send woke ({@link #woke}) to be taken by another carrier before it
     * leaves its carrier to it. A carrier that is looking for work steals within a few hundred nanoseconds; one that
     * sleeps takes tens of microseconds to wake, longer than any poll.
     */
    private static final long STEAL_NANOS = 1000;
    /** The most credit for such tries ({@link #stealTries}): from it, five failures in a row start a cool-down. */
    private static final int STEAL_TRIES = 4;
    /** A cool-down: this many such waits park at once before the next try, which costs {@link #STEAL_NANOS}. */
    private static final int STEAL_COOLDOWN = 64; // at most 128: stealTries is a byte
    /** The most spin credit a process has: halved by each long wait, it runs out after 7 in a row. */
    private static final int SPIN_CREDIT = 64; // at most 127: the credit is a byte
    /** A parked wait shorter than this would have been cheaper spun than parked: the process keeps spinning. */
    private static final long SHORT_WAIT_NANOS = 20_000;
    /**
     * Once out of spin credit after a long wait, the process does not time this many of its next waits (see
     * {@link #spinCredit}): the two clock reads that time a wait cost ~60 ns here, a tenth of a ring's hop, and a
     * process whose waits are long (the ring's, most idle workers') would pay them on every wait for nothing.
     */
    private static final int UNTIMED_WAITS = 7;
    /** The start of an untimed wait ({@link #UNTIMED_WAITS}), in place of a clock reading. */
    private static final long UNTIMED = Long.MIN_VALUE;
    /** Told when the process has exited (the behaviour a process runs, e.g. a server, cleans up here). */
    public interface ExitHook {
        void exited(Proc p, Object reason);

        /** Whether the process waits at its behaviour's safe point now, with no module code on its stack. */
        default boolean atSafePoint() {
            return false;
        }
    }

    public enum State { RUNNABLE, WAITING, EXITED }

    private final long id;
    private final ProcessTable table;
    /**
     * The next process in its {@link ProcessSet} stripe's chain: the process is the set's entry, so its table costs no
     * node per process. Written under that stripe's lock; volatile for the lookups that walk the chain without it.
     */
    volatile Proc nextInSet;

    /** The exit signal that has reached the process, or a {@link StackCheck} waiting for its answer. */
    volatile Object pendingExit;
    /** The process's lock: {@link #FREE}, {@link #HELD} or {@link #CONTENDED} (see {@link #lock()}). */
    private volatile byte lockState;
    volatile boolean exited;
    private Object exitReason;
    /**
     * A system request waits for this process (servers only): wakes a receive without a message. The protocol is
     * {@link SystemSignals}'s: set by any thread, cleared by the owner.
     */
    volatile boolean systemSignal;
    /**
     * The qualified call that began the current top-level step, and how much the process had done when it began
     * ({@link #progress} counts messages taken and effects such as sends, spawns and links). Owner only. A process
     * parked in receive that has done nothing since its step began can be moved to the current version by re-running
     * that step there (the migrate purge). Before {@link #run()}, the process's first step: one field less per process.
     */
    Next stepCall;
    int progress;
    int progressAtStep;
    /** A migrate purge's request to move this process, and its answer: the protocol and its states are {@link Moves}'s. */
    volatile byte move;
    private volatile boolean killedByPurge;

    /** Links, monitors, name and behaviour: null until the process has one (see {@link Relations}). */
    private volatile Relations relations;

    /**
     * The frames: pairs (module version, function name), innermost last; one array to keep a process small. Written
     * by the owner only, each change followed by a volatile write of {@code depth}; readers read {@code depth} first.
     */
    private Object[] frames;
    volatile int depth;
    /**
     * Whether this process spins before it parks (while above 0), adapted to how its waits go: doubled after a short
     * wait, halved after a long one, so a ping-pong partner spins and a process that waits long (most of 10,000 idle
     * workers) parks at once. Below 0: out of credit, and that many more waits go untimed ({@link #UNTIMED_WAITS});
     * at 0 the next wait is timed again, and a short one gives the credit back.
     */
    private byte spinCredit; // a byte, not an int: with move's, 6 bytes less, one 8-byte step of this object
    /**
     * The process this one's last send woke, until this one next receives, sleeps or exits (owner only). If that
     * process has not run by then, its virtual thread waits in this one's carrier queue (the JDK's scheduler puts a
     * thread that a virtual thread unparks in that carrier's own queue), and a busy poll for its reply only keeps it
     * from running, unless another carrier steals it. Two processes that share a carrier then poll in turn, each for
     * nothing: ping-pong on one carrier made 205k round trips/s instead of 1.4-1.8M (BENCHMARKS.md, "i16-woke"). So
     * the poll gives the other carriers {@link #STEAL_NANOS} to take it, and parks if none did ({@link #poll}). The
     * JDK's {@code LinkedTransferQueue} skips its spin on the same condition, asked of the carrier's queue, which only
     * the JDK can see.
     */
    private Proc woke;
    /**
     * Owner only. At 0 and above: a poll waits {@link #STEAL_NANOS} for the process it woke to be stolen; each steal
     * that came adds one (up to {@link #STEAL_TRIES}), each that did not takes one, and a miss at 0 starts a cool-down
     * of {@link #STEAL_COOLDOWN} such waits (with a partner that has not run) that park at once, counting up from
     * below 0 ({@link #afterSteal}, {@link #afterMiss}, {@link #afterCoolingWait}). On one carrier nothing is ever
     * stolen: the process then pays one failed try per 65 such waits.
     */
    private byte stealTries;
    /**
     * The low 32 bits of the pid number of the process this one's last poll waited to see taken by another carrier:
     * the one its send woke (owner only; a number, not the process, so that no exited process is kept). A poll that
     * waits for the same process again asks a spinner to leave its carrier to it ({@link #poll}): two processes that
     * exchange messages (a ping-pong, a client and its one server) then run on two carriers, where each finds the
     * other's reply while it polls, instead of taking turns on one. A process that always wakes the same next one (a
     * ring's, a pipeline's) asks too, when it has spin credit to poll at all. Fits in this object's last 4 bytes of
     * padding.
     */
    private int lastPartnerId;

    Proc(long id, ProcessTable table, Next first, ModuleVersion firstVersion, String firstFunction,
         ClassLoader contextLoader, java.util.concurrent.ThreadFactory threads) {
        super(null);
        this.id = id;
        this.table = table;
        this.stepCall = first; // run() takes it from there
        Thread thread = threads.newThread(this);
        Access.enter(thread, this); // before it starts: the process is its thread's handler, no thread-local (Access)
        ownedBy(thread); // the mailbox's owner is the process's thread: one field for both
        if (firstVersion != null) {
            pushFrame(firstVersion, firstFunction);
            thread.setContextClassLoader(firstVersion.loader());
        } else {
            thread.setContextClassLoader(contextLoader); // set deliberately: not inherited from the spawning thread
        }
    }

    // ------------------------------------------------------------------ API

    /** The calling process, or a clear error naming the operation when there is none. */
    public static Proc current(String operation) {
        return (Proc) Access.current(operation); // only a Proc enters itself (run())
    }

    public static Proc currentOrNull() {
        return (Proc) Access.currentOrNull();
    }

    @Override
    public long id() {
        return id;
    }

    /** Whether this is one of the runtime's own processes (an internal module's: a start-up warm-up's). */
    public boolean isInternal() {
        return id < 0;
    }

    public boolean isAlive() {
        return !exited;
    }

    public State state() {
        return exited ? State.EXITED : isWaiting() ? State.WAITING : State.RUNNABLE;
    }

    public int mailboxLength() {
        return exited ? 0 : length();
    }

    /** {@link #mailboxLength()}, counting no further than {@code max}: the system monitor samples every process. */
    int mailboxLength(int max) {
        return exited ? 0 : length(max);
    }

    /** {@link #mailboxLength(int)} for a decision that the mailbox is short ({@link Mailbox#lengthNotUnder}). */
    int mailboxLengthNotUnder(int max) {
        return exited ? 0 : lengthNotUnder(max);
    }

    /**
     * Up to {@code max} of the messages waiting, oldest first (those a selective receive passed over first), read
     * without disturbing the process: a sample while it receives (see {@link Mailbox#snapshot}). Empty once exited.
     */
    public List<Object> mailboxSnapshot(int max) {
        return exited ? List.of() : snapshot(max);
    }

    /**
     * The count of messages taken and effects made (see {@link #effect()}), for the system monitor: a process that is
     * running and leaves it unchanged has not returned to the runtime. Read from the monitor's thread without a
     * fence: an int is never torn, and a value a sample late only delays a report by one sample.
     */
    int progress() {
        return progress;
    }

    /**
     * The registered name, or null. Any thread, without the lock (the samplers read it for every process); it is
     * written under the lock, where {@link Names} reads it to decide.
     */
    public String registeredName() {
        Relations r = relations;
        return r == null ? null : r.registeredName;
    }

    /** Sets or clears the registered name; the caller holds this process's lock. */
    void registeredNameLocked(String name) {
        if (name != null || relations != null) {
            relations().registeredName = name;
        }
    }

    public boolean trapsExits() {
        Relations r = relations;
        return r != null && r.trapExit;
    }

    @Override
    public boolean trapExit(boolean trap) {
        if (!trap && relations == null) {
            return false; // never trapped: nothing to make
        }
        lock();
        try {
            Relations r = relations();
            boolean before = r.trapExit;
            r.trapExit = trap;
            return before;
        } finally {
            unlock();
        }
    }

    /** Delivers a message; false when the process has exited (the caller counts the dead letter). */
    public boolean deliver(Object message) {
        return offer(message);
    }

    /**
     * Delivers a message that {@code sender} sends (null: a thread that is not a process); false when this process
     * has exited. A sender that wakes this process remembers it until its own next receive ({@link #woke}).
     */
    boolean deliver(Object message, Proc sender) {
        int r = link(message);
        if (r == LINKED_AND_WOKE && sender != null) {
            sender.woke = this;
        }
        return r != REFUSED;
    }

    /** Whether an exit signal has reached the process and it has yet to unwind. */
    public boolean exitPending() {
        Object reason = pendingExit;
        return reason != null && !(reason instanceof StackCheck);
    }

    /**
     * Unwinds the calling process if an exit signal has reached it; answers a {@link StackCheck} if one waits. The
     * check shares the exit's slot, so this costs the runtime calls nothing more than the exit test they already do.
     */
    public void checkExit() {
        Object reason = pendingExit;
        if (reason != null) {
            exitOrAnswer(reason);
        }
    }

    /** Out of line: the common {@link #checkExit} is one volatile read. */
    private void exitOrAnswer(Object reason) {
        if (!(reason instanceof StackCheck check)) {
            throw new ExitException(reason);
        }
        if (Thread.currentThread() == owner) { // only the process's own thread can walk its stack
            check.answer(this);
        }
    }

    /** Whether the process waits at its behaviour's safe point (a server between messages): no module code runs. */
    boolean atSafePoint() {
        ExitHook b = behaviour();
        return b != null && b.atSafePoint();
    }

    /** Selective receive; {@code timeoutNanos} < 0 waits forever; returns null on timeout. Owner only. */
    @Override
    public Object receive(Object patterns, long timeoutNanos) {
        if (patterns == null) {
            throw new HotcodeException("receive: null is not a pattern (no message is null, so it would wait forever);"
                    + " receive() with no pattern takes any message");
        }
        checkExit();
        if (move == Moves.REQUESTED) {
            Moves.decide(this); // throws Moves.Signal when the step can be re-run on the current version
        }
        Object m = take(patterns, true);
        if (m == Mailbox.NONE) {
            m = await(patterns, timeoutNanos, false);
            if (m == null) {
                progress++; // a timeout is something the step has seen: re-running it would not be the same
                return null;
            }
        } else {
            woke = null; // no wait: a later one's partner is its own last send's (and no exited process is kept)
        }
        return admit(m);
    }

    /** Sets the behaviour this process runs (a server, a supervisor); before it starts. */
    public void behaviour(ExitHook b) {
        if (b != null || relations != null) {
            lock();
            try {
                relations().behaviour = b;
            } finally {
                unlock();
            }
        }
    }

    /** The behaviour this process runs, or null for a plain process. Any thread. */
    public ExitHook behaviour() {
        Relations r = relations;
        return r == null ? null : r.behaviour;
    }

    /**
     * An effect that re-running the step would repeat (a send, a spawn, a link...). Called on the process's thread;
     * returns that process (null on a thread that is not one), so a caller that needs it looks it up once.
     */
    public static Proc effect() {
        Proc p = currentOrNull();
        if (p != null) {
            p.progress++;
        }
        return p;
    }

    /** Parks for {@code millis}, leaving the mailbox alone; an exit signal ends the wait. Owner only. */
    @Override
    public void sleep(long millis) {
        progress++;
        woke = null; // not kept through a sleep (see woke)
        long deadline = System.nanoTime() + Math.min(millis, Long.MAX_VALUE / 4_000_000L) * 1_000_000L;
        for (;;) {
            checkExit();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(this, left);
        }
    }

    // ------------------------------------------------------------------ exit signals, links, monitors

    /**
     * An exit signal from {@code from} (null: the runtime, e.g. a purge). {@code kill} cannot be trapped and becomes
     * {@code killed}; a trapping process gets {@code {'EXIT', From, Reason}}; otherwise a reason other than
     * {@code normal} ends the process.
     */
    public void exitSignal(Proc from, Object reason) {
        if (reason == null) {
            throw new HotcodeException("exit: the reason must not be null (use an atom such as normal or kill)");
        }
        if (exited) {
            return;
        }
        if (reason == KILL) {
            markExit(KILLED);
        } else {
            signal(from, reason);
        }
    }

    /**
     * The exit signal a linked process sends when it exits. Unlike {@code exit(Pid, kill)}, a link's {@code kill}
     * reason can be trapped, as in Erlang; untrapped it ends the process with {@code killed}.
     */
    void linkExit(Proc from, Object reason) {
        if (!exited) {
            signal(from, reason == KILL && !trapsExits() ? KILLED : reason);
        }
    }

    private void signal(Proc from, Object reason) {
        if (trapsExits()) {
            Tuple exit = Tuple.of(EXIT, from == null ? RUNTIME : from, reason);
            if (!deliver(exit)) {
                table.deadLetter(this, exit, NOPROC); // it exited meanwhile: counted, never dropped
            }
        } else if (reason != NORMAL) {
            markExit(reason);
        }
    }

    /** Kills the process for a purge: untrappable, reason {@code killed}. */
    public void kill() {
        markExit(KILLED, true);
    }

    /** Whether a purge killed this process (its supervisor does not count the restart against its intensity). */
    public boolean killedByPurge() {
        return killedByPurge;
    }

    /** Ends the process because the runtime is stopping: untrappable, reason {@code shutdown}. */
    void shutdown() {
        markExit(SHUTDOWN);
    }

    private void markExit(Object reason) {
        markExit(reason, false);
    }

    private void markExit(Object reason, boolean purge) {
        lock();
        try {
            if (exited) {
                return;
            }
            // An exit replaces a check's request (a CAS: the check's asker and the answer change the slot unlocked).
            for (Object was = pendingExit; was == null || was instanceof StackCheck; was = pendingExit) {
                if (PENDING_EXIT.compareAndSet(this, was, reason)) {
                    if (was instanceof StackCheck check) {
                        check.settled(); // no answer will come: the asker need not wait for it
                    }
                    killedByPurge = purge; // only a kill that takes effect: one already on its way out keeps its reason
                    break;
                }
            }
            if ((reason == KILLED || reason == SHUTDOWN) && Thread.currentThread() != owner) {
                // Also ends blocking JDK calls in module code, even if another signal came first; never our own thread
                // (a process purging its own code is in the middle of framework calls; it unwinds at its next runtime
                // call). Under the lock and only while not exited: terminate() sets exited under this lock before it
                // clears the flag, so no interrupt can land while the exiting process logs its dead letters (an
                // interrupted write closes the console's stream for good) or tells its links and monitors.
                owner.interrupt();
            }
        } finally {
            unlock();
        }
        LockSupport.unpark(owner);
    }

    /** Links two processes, Erlang's link/1. A dead peer means an exit signal {@code noproc} to {@code this}. */
    void link(Proc other) {
        if (other == this) {
            return;
        }
        Proc a = id < other.id ? this : other;
        Proc b = a == this ? other : this;
        boolean peerGone;
        a.lock();
        try {
            b.lock();
            try {
                peerGone = other.exited;
                if (!peerGone && !exited) {
                    linkSet().add(other);
                    other.linkSet().add(this);
                }
            } finally {
                b.unlock();
            }
        } finally {
            a.unlock();
        }
        if (peerGone) {
            exitSignal(other, NOPROC);
        }
    }

    void unlink(Proc other) {
        if (other == this) {
            return; // never linked to itself; and the lock is not reentrant
        }
        Proc a = id < other.id ? this : other;
        Proc b = a == this ? other : this;
        a.lock();
        try {
            b.lock();
            try {
                Set<Proc> mine = linksOrNull();
                if (mine != null) {
                    mine.remove(other);
                }
                Set<Proc> theirs = other.linksOrNull();
                if (theirs != null) {
                    theirs.remove(this);
                }
            } finally {
                b.unlock();
            }
        } finally {
            a.unlock();
        }
    }

    Ref monitor(Proc target) {
        Ref ref = Ref.make();
        lock();
        try { // our own entry first: the target's exit delivers DOWN only for refs we still hold
            Relations r = relations();
            if (r.monitoring == null) {
                r.monitoring = new HashMap<>(4);
            }
            r.monitoring.put(ref, target);
        } finally {
            unlock();
        }
        boolean gone;
        target.lock();
        try {
            gone = target.exited;
            if (!gone) {
                Relations t = target.relations();
                if (t.monitoredBy == null) {
                    t.monitoredBy = new HashMap<>(4);
                }
                t.monitoredBy.put(ref, this);
            }
        } finally {
            target.unlock();
        }
        if (gone) {
            lock();
            try {
                relations.monitoring.remove(ref); // made above; only this process's own exit clears it
            } finally {
                unlock();
            }
            deliver(Tuple.of(DOWN, ref, PROCESS, target, NOPROC));
        }
        return ref;
    }

    void demonitor(Ref ref) {
        Proc target;
        lock();
        try {
            Map<Ref, Proc> m = monitoringOrNull();
            target = m == null ? null : m.remove(ref);
        } finally {
            unlock();
        }
        if (target != null) {
            target.lock();
            try {
                Map<Ref, Proc> by = target.monitoredByOrNull();
                if (by != null) {
                    by.remove(ref);
                }
            } finally {
                target.unlock();
            }
        }
    }

    public List<Pid> links() {
        lock();
        try {
            Set<Proc> l = linksOrNull();
            return l == null ? List.of() : new ArrayList<>(l);
        } finally {
            unlock();
        }
    }

    public List<Pid> monitors() {
        lock();
        try {
            Map<Ref, Proc> m = monitoringOrNull();
            return m == null ? List.of() : new ArrayList<>(m.values());
        } finally {
            unlock();
        }
    }

    public List<Pid> monitoredBy() {
        lock();
        try {
            Map<Ref, Proc> m = monitoredByOrNull();
            return m == null ? List.of() : new ArrayList<>(m.values());
        } finally {
            unlock();
        }
    }

    /**
     * What few processes have: links, the monitors it holds and those held on it, a registered name, the behaviour it
     * runs, whether it traps exits. One object, made when the process first needs one of them, so a plain process has
     * none (4 fields less in every process: 16 bytes of a waiting one, issue 16). Its fields are written under the
     * process's lock; the volatile ones are also read without it ({@code behaviour}, e.g. by a purge; {@code trapExit}
     * by the exit signals; {@code registeredName} by the samplers and the shell).
     */
    private static final class Relations {
        Set<Proc> links;
        Map<Ref, Proc> monitoring;
        Map<Ref, Proc> monitoredBy;
        volatile String registeredName;
        volatile ExitHook behaviour;
        volatile boolean trapExit;
    }

    /** The relations, made if the process has none yet. Lock held by the caller. */
    private Relations relations() {
        Relations r = relations;
        if (r == null) {
            relations = r = new Relations();
        }
        return r;
    }

    /** Lock held by the caller (as for the three below). */
    private Set<Proc> linksOrNull() {
        Relations r = relations;
        return r == null ? null : r.links;
    }

    private Map<Ref, Proc> monitoringOrNull() {
        Relations r = relations;
        return r == null ? null : r.monitoring;
    }

    private Map<Ref, Proc> monitoredByOrNull() {
        Relations r = relations;
        return r == null ? null : r.monitoredBy;
    }

    private Set<Proc> linkSet() {
        Relations r = relations();
        if (r.links == null) {
            r.links = new HashSet<>(4);
        }
        return r.links;
    }

    // ------------------------------------------------------------------ the process's lock

    /*
     * Guards exited and exitReason, the relations, the frames against terminate(), and a kill's interrupt. Why not
     * synchronized: a virtual thread that blocks on a contended monitor is resumed (JDK 24 and later) by the JDK's
     * "VirtualThread-unblocker", a platform thread, so it waits in the scheduler's external queue, which busy carriers
     * serve only when their own queues run dry. Every call monitors its server (two such locks); under a steady load
     * of calls the rare call that met another client on its server's lock waited 0.25-2 s, all of it in monitor()
     * (issue 16). Thread.yield() is no cure either: a virtual thread that yields with its carrier's queue empty goes to
     * that same external queue. So a waiter spins briefly (sections are short, see below), then parks in
     * LockWaiters, and the thread that releases the lock unparks it: a virtual thread unparked by a virtual thread
     * joins that carrier's own queue. One byte per process (the waiting threads are kept in LockWaiters' table); not
     * reentrant: no section takes it twice, and two processes' locks are taken in order of their ids. Sections are
     * short and none parks, except link/unlink, which hold the lower-numbered process's lock while they wait for the
     * other's: a few loads and stores, a small copy (links(), monitors()), a map update (Names), a kill's interrupt.
     * Unlike a monitor's exit, unlock() is not guarded against a StackOverflowError at its own call: it is one atomic
     * swap, which the JIT inlines into its callers; its slow path (LockWaiters.wakeOne) is, by the waiters' timed park.
     */

    /** States of {@link #lockState}: free, held, held with threads (perhaps) parked for it in {@link LockWaiters}. */
    static final byte FREE = 0, HELD = 1, CONTENDED = 2;
    /** How many times a waiter polls the lock before it parks: most sections last well under a microsecond. */
    private static final int LOCK_SPINS = 128;

    /** Takes this process's lock (see above). Pair with {@link #unlock()} in a finally block. */
    void lock() {
        if (!LOCK.compareAndSet(this, FREE, HELD)) {
            lockContended();
        }
    }

    private void lockContended() {
        for (int i = 0; i < LOCK_SPINS; i++) {
            Thread.onSpinWait();
            if (lockState == FREE && LOCK.compareAndSet(this, FREE, HELD)) {
                return;
            }
        }
        for (boolean again = false; ; again = true) {
            LockWaiters.await(this, again);
            // CONTENDED, not HELD: other threads may still wait, and only a release that sees CONTENDED wakes one
            if (LOCK.compareAndSet(this, FREE, CONTENDED)) {
                return;
            }
        }
    }

    /** Releases the lock and, if threads wait for it, wakes the first. */
    void unlock() {
        if ((byte) LOCK.getAndSet(this, FREE) == CONTENDED) {
            LockWaiters.wakeOne(this);
        }
    }

    /** Whether the lock is free now (a waiter's check after a timed-out park). */
    boolean lockIsFree() {
        return lockState == FREE;
    }

    /**
     * Marks the lock contended if it is held (for a thread about to park for it); false when it is free. Called under
     * the lock of the process's bucket in {@link LockWaiters}, so a release that sees the mark finds the waiter queued.
     */
    boolean markLockContended() {
        for (;;) {
            byte s = lockState;
            if (s == FREE) {
                return false;
            }
            if (s == CONTENDED || LOCK.compareAndSet(this, HELD, CONTENDED)) {
                return true;
            }
        }
    }

    // ------------------------------------------------------------------ frames (the versions on the stack)

    /** A qualified call enters {@code v}: pushes a frame. Owner only. */
    public void pushFrame(ModuleVersion v, String function) {
        int d = depth;
        if (frames == null) {
            frames = new Object[2]; // most processes never call deeper than their first frame: 8 bytes less each
        } else if (2 * d == frames.length) {
            frames = java.util.Arrays.copyOf(frames, 4 * d);
        }
        frames[2 * d] = v;
        frames[2 * d + 1] = function;
        depth = d + 1;
        switchLoader(d == 0 ? null : (ModuleVersion) frames[2 * d - 2], v);
    }

    /** The qualified call returned: pops its frame. Owner only. */
    public void popFrame() {
        int d = depth - 1;
        ModuleVersion left = (ModuleVersion) frames[2 * d];
        frames[2 * d] = null;
        frames[2 * d + 1] = null;
        depth = d;
        switchLoader(left, d == 0 ? null : (ModuleVersion) frames[2 * d - 2]);
    }

    /**
     * A qualified tail call: the top frame is replaced, so the version left behind no longer counts. {@code step} is
     * the qualified call itself when the trampoline runs it (a top-level step), else null. Owner only.
     */
    public void replaceTopFrame(ModuleVersion v, String function, Next step) {
        int d = depth;
        if (d <= 1) {
            stepCall = step;
            progressAtStep = progress;
        }
        if (d == 0) {
            pushFrame(v, function);
            return;
        }
        ModuleVersion left = (ModuleVersion) frames[2 * d - 2];
        frames[2 * d - 2] = v;
        frames[2 * d - 1] = function;
        depth = d; // a volatile write: publishes the new frame to purges scanning from other threads
        switchLoader(left, v);
    }

    /**
     * A server's upgrade: its one frame now names {@code v}. Called by the upgrading thread while the server is
     * quiescent (claimed at its safe point, or waiting for the verdict); the server reads its frames again only after
     * a volatile read that follows this write.
     */
    public boolean replaceTopFrameOf(ModuleVersion v, String function) {
        lock();
        try { // against terminate(), which drops the frames of an exiting process
            Object[] fs = frames;
            int d = depth;
            if (exited || fs == null || d == 0) {
                return false;
            }
            fs[2 * d - 2] = v;
            fs[2 * d - 1] = function;
            depth = d;
        } finally {
            unlock();
        }
        owner.setContextClassLoader(v.loader());
        return true;
    }

    /** The process's thread (to tell its own code from a runtime thread acting on its behalf). */
    public Thread thread() {
        return owner;
    }

    /** The version of the innermost qualified call, or null when the process runs no module code. */
    public ModuleVersion topVersion() {
        int d = depth;
        Object[] fs = frames; // may be dropped by an exit meanwhile (any thread may ask)
        return d == 0 || fs == null || fs.length < 2 * d ? null : (ModuleVersion) fs[2 * d - 2];
    }

    /** Whether any frame runs {@code v}: Erlang's check_process_code. Any thread (a racy snapshot). */
    public boolean runs(ModuleVersion v) {
        int d = depth; // the volatile read first: it makes the owner's frame writes before it visible
        Object[] fs = frames;
        if (fs == null) {
            return false;
        }
        int end = Math.min(2 * d, fs.length);
        for (int i = 0; i < end; i += 2) {
            if (fs[i] == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether any frame runs a module's old version that is not purged yet (the console's {@code old_code}). Any
     * thread (a racy snapshot).
     */
    public boolean runsOldCode() {
        int d = depth; // the volatile read first, as in runs()
        Object[] fs = frames;
        if (fs == null) {
            return false;
        }
        int end = Math.min(2 * d, fs.length);
        for (int i = 0; i < end; i += 2) {
            if (fs[i] instanceof ModuleVersion v && v.isOld() && !v.isPurged()) {
                return true;
            }
        }
        return false;
    }

    /** The frames, innermost last, as "module:function (version)". Any thread (a racy snapshot). */
    public List<String> frames() {
        Object[] fs = frames;
        List<String> out = new ArrayList<>();
        if (fs == null) {
            return out;
        }
        int end = Math.min(2 * depth, fs.length);
        for (int i = 0; i < end; i += 2) {
            if (fs[i] instanceof ModuleVersion v) {
                out.add(v.module() + ":" + fs[i + 1] + " (" + v.label() + ")");
            }
        }
        return out;
    }

    private void switchLoader(ModuleVersion from, ModuleVersion to) {
        if (from != to && to != null) {
            owner.setContextClassLoader(to.loader());
        }
    }

    // ------------------------------------------------------------------ life cycle

    void start() {
        owner.start();
    }

    /**
     * Waits up to {@code millis} for the process to have terminated completely (dead letters counted, links and
     * monitors told); true if it has.
     */
    public boolean awaitExit(long millis) throws InterruptedException {
        return owner.join(java.time.Duration.ofMillis(Math.max(0, millis)));
    }

    @Override
    public void run() {
        Object reason = NORMAL;
        try {
            Next step = stepCall;
            while (step != null) {
                checkExit();
                stepCall = null; // a local step cannot be re-run; a qualified one sets it again (replaceTopFrame)
                try {
                    step = entered(step).run();
                } catch (Moves.Signal moved) {
                    step = Moves.reentry(this);
                }
            }
            checkExit(); // a signal that arrived during the last step decides the exit reason, not the step's return
        } catch (ExitException e) {
            reason = e.reason();
        } catch (Throwable t) {
            reason = t;
            table.crashed(this, t);
        } finally {
            terminate(reason);
        }
    }

    private void terminate(Object reason) {
        Set<Proc> linked = null;
        Map<Ref, Proc> watchers = null;
        Map<Ref, Proc> watched = null;
        lock();
        try {
            exited = true;
            exitReason = reason;
            Relations r = relations;
            if (r != null) {
                linked = r.links;
                watchers = r.monitoredBy;
                watched = r.monitoring;
                r.links = null;
                r.monitoredBy = null;
                r.monitoring = null;
            }
        } finally {
            unlock();
        }
        // A kill's interrupt must not disturb the clean-up below. Cleared only now: markExit interrupts under the lock
        // and only while not exited, so none can come after this; cleared before exited was set, one could.
        Thread.interrupted();
        table.exited(this, reason, close());
        ExitHook hook = behaviour();
        if (hook != null) {
            hook.exited(this, reason);
        }
        if (watched != null) {
            watched.forEach((ref, target) -> {
                target.lock();
                try {
                    Map<Ref, Proc> by = target.monitoredByOrNull();
                    if (by != null) {
                        by.remove(ref);
                    }
                } finally {
                    target.unlock();
                }
            });
        }
        if (linked != null) {
            for (Proc p : linked) {
                boolean stillLinked;
                p.lock();
                try { // an unlink that won the race has removed us: no signal then, as in Erlang
                    Set<Proc> theirs = p.linksOrNull();
                    stillLinked = theirs != null && theirs.remove(this);
                } finally {
                    p.unlock();
                }
                if (stillLinked) {
                    p.linkExit(this, reason);
                }
            }
        }
        if (watchers != null) {
            watchers.forEach((ref, watcher) -> {
                boolean live;
                boolean stillMonitoring;
                watcher.lock();
                try { // a demonitor that won the race has removed the ref: no DOWN then
                    Map<Ref, Proc> theirs = watcher.monitoringOrNull();
                    live = theirs != null;
                    stillMonitoring = live && theirs.remove(ref) != null;
                } finally {
                    watcher.unlock();
                }
                Tuple down = Tuple.of(DOWN, ref, PROCESS, this, reason);
                if (stillMonitoring) {
                    if (!watcher.deliver(down)) {
                        table.deadLetter(watcher, down, NOPROC);
                    }
                } else if (!live) {
                    table.deadLetter(watcher, down, NOPROC); // the watcher exited first
                }
            });
        }
        lock();
        try {
            frames = null;
            depth = 0;
        } finally {
            unlock();
        }
        stepCall = null;
        woke = null; // an exited process keeps no other alive through its last send
        Access.leave();
    }

    /**
     * A throwable that escaped {@link #run()}: not one of the process's steps (run() makes those its exit reason) but
     * of its clean-up after the exit ({@link #terminate}: links, monitors, an exit hook). This process is its thread's
     * uncaught-exception handler because that is how the thread knows its process ({@link Access}); without this, the
     * thread group would print the throwable to standard error, naming no process. While the process runs, only its
     * own code can call this (libraries report a throwable they caught to the current thread's handler): logged as such.
     */
    @Override
    public void uncaughtException(Thread t, Throwable e) {
        if (!exited) {
            // Not from the JDK (run() catches every throwable of a step): code on the process's own thread that caught
            // a throwable and reported it to the thread's handler, as libraries do. The process runs on.
            hotcode.runtime.impl.log.Log.error("process " + this + " (running) reported a throwable to its thread's"
                    + " uncaught-exception handler: " + e, e);
            return;
        }
        hotcode.runtime.impl.log.Log.error("process " + this + " failed in its clean-up after exiting with "
                + exitReason() + ": " + e, e);
    }

    public Object exitReason() {
        lock();
        try {
            return exitReason;
        } finally {
            unlock();
        }
    }

    // ------------------------------------------------------------------ internals

    /**
     * Waits for a matching message: polls the mailbox for up to {@link #SPIN_NANOS} if this process has spin credit
     * (less when the process its last send woke waits for this carrier: {@link #poll}), then parks. The park loop is
     * one method on purpose: every parked process keeps this frame in its stack chunk, so an extra frame costs memory
     * per process (the poll has returned by then). For the same reason the protocols that wake a waiting process are
     * tested here, inline, on their fields: the pending-exit slot (exit signals, {@link StackCheck}s),
     * {@code systemSignal} when {@code system} (tested and cleared here, as {@link SystemSignals} does elsewhere: a call
     * would change this loop's compiled frame), and {@code move}. Their classes are called only once something has
     * come, and return (or throw) before the process parks again; {@link Moves} is not even loaded before the first
     * migrate purge, so the JIT cannot inline it into this loop.
     */
    Object await(Object patterns, long timeoutNanos, boolean system) {
        Proc partner = woke;
        if (partner != null) {
            woke = null; // asked once per wait: a later wait's partner is its own last send's
        }
        if (timeoutNanos == 0) {
            return null;
        }
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        if (SPIN_NANOS > 0 && spinCredit > 0) {
            Object m = poll(patterns, timeoutNanos, deadline, system, partner);
            if (m != Mailbox.NONE) {
                return m;
            }
        }
        long parkedAt = waitStarts(); // no local but this one lives across the park (a parked frame's size is memory)
        Object m;
        for (;;) {
            announceWaiting();
            try {
                m = take(patterns, false);
            } catch (RuntimeException | Error e) {
                clearWaiting(); // a pattern threw: the process is not waiting any more
                throw e;
            }
            if (m != Mailbox.NONE) {
                clearWaiting();
                break;
            }
            if (pendingExit != null) {
                clearWaiting();
                checkExit();
                continue; // it was a stack check, answered: announce the wait again before parking
            }
            if (system && systemSignal) {
                clearWaiting();
                systemSignal = false;
                return SystemSignals.SYSTEM;
            }
            if (move == Moves.REQUESTED) {
                clearWaiting();
                Moves.decide(this); // throws Moves.Signal if it accepts; declined, it waits on
                continue;
            }
            if (linking()) {
                Thread.onSpinWait(); // a sender that may not have seen the announcement is storing its message: no park
                continue;
            }
            if (timeoutNanos < 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    clearWaiting();
                    m = null;
                    break;
                }
                LockSupport.parkNanos(this, left);
            }
            if (!isWaiting()) {
                // A sender woke us (it took waiting WAITING -> WOKEN after linking its message). Tell it we run (its
                // spin decision, see woke), then look before announcing again, which would cost two volatile writes
                // (announce, clear) on every wake-up by a message.
                running();
                m = take(patterns, false);
                if (m != Mailbox.NONE) {
                    break;
                }
            }
        }
        spinCredit = creditAfter(parkedAt);
        return m;
    }

    /**
     * When a wait that parks begins: the clock, or {@link #UNTIMED} for a process out of spin credit whose wait goes
     * untimed. Out of line, like {@link #creditAfter}, so that {@code await} stays under C2's size for inlining a hot
     * method (325 bytecodes; inlined or not is the JIT's choice, as before the untimed waits made it 328). A same-run
     * A/B showed no difference either way (BENCHMARKS.md "i16-hop").
     */
    private long waitStarts() {
        return spinCredit >= 0 ? System.nanoTime() : UNTIMED;
    }

    /** {@link #spinCredit} after a parked wait that began at {@code parkedAt} (see {@link #waitStarts}). */
    private byte creditAfter(long parkedAt) {
        return nextCredit(spinCredit, parkedAt != UNTIMED && System.nanoTime() - parkedAt < SHORT_WAIT_NANOS);
    }

    /**
     * {@link #spinCredit} after a parked wait that began with {@code credit}: a short wait doubles it (at least 4),
     * a long one halves it, and at 0 starts {@link #UNTIMED_WAITS} untimed waits; an untimed wait counts one of them.
     */
    static byte nextCredit(byte credit, boolean shortWait) {
        if (credit < 0) {
            return (byte) (credit + 1); // untimed: it was not short, as far as anyone knows
        }
        if (shortWait) {
            return (byte) Math.min(SPIN_CREDIT, Math.max(4, credit * 2));
        }
        return (byte) (credit > 0 ? credit >> 1 : -UNTIMED_WAITS);
    }

    /** The process this one's last send woke, until this one next receives ({@link #woke}); for tests. Owner only. */
    Proc woke() {
        return woke;
    }

    /**
     * The busy poll before a park: the message, {@link SystemSignals#SYSTEM}, or {@link Mailbox#NONE} when nothing
     * came within {@link #SPIN_NANOS} (or the timeout). Busy, not {@code Thread.yield()}: a virtual thread that yields
     * while its carrier's own queue is empty is put in the scheduler's external queue, which a carrier serves only once
     * its own queue runs dry; under many busy processes that can take seconds (a yield-spin made calls wait up to 68 s
     * among 32 clients of 10,000 servers: BENCHMARKS.md, issue 16). A busy poll holds its carrier at most
     * {@link #SPIN_NANOS}, and leaves the order in which the scheduler runs processes alone.
     *
     * <p>{@code partner}: the process this one's last send woke ({@link #woke}), or null. While it has not run, it
     * waits in this carrier's queue, unless the other carriers steal it; the poll gives that {@link #STEAL_NANOS} and
     * then leaves the carrier to it. When the partner is the same as at the last such poll ({@link #lastPartnerId}),
     * the poll asks a spinner of {@link IdleCarriers} to leave its carrier, which then steals the partner, and gives
     * that {@link IdleCarriers#STEP_ASIDE_WAIT_NANOS}: a busy spinner keeps its carrier from stealing, so without it two
     * processes that exchange messages share one carrier for good (BENCHMARKS.md, "i16-aside"). Either wait ends with
     * the poll's own {@link #SPIN_NANOS} at the latest, and one that ends with the partner still queued is a miss for
     * {@link #stealTries}: a process whose partner is never taken (every carrier busy) soon parks at once again.
     */
    private Object poll(Object patterns, long timeoutNanos, long deadline, boolean system, Proc partner) {
        if (partner != null && !partner.wokenNotRun()) {
            partner = null; // it has run: its reply can come while we poll, as from any process
        }
        if (partner != null && stealTries < 0) {
            stealTries = afterCoolingWait(stealTries); // after steals that did not come: park at once, let it run
            return Mailbox.NONE;
        }
        long now = System.nanoTime();
        long until = now + SPIN_NANOS;
        if (timeoutNanos > 0 && deadline - until < 0) {
            until = deadline; // a timed receive must not overstay its timeout
        }
        long stealBy = now + STEAL_NANOS;
        if (partner != null) {
            int partnerId = (int) partner.id;
            if (partnerId == lastPartnerId) { // the same partner again: ask a spinner to make room, wait longer
                long longer = now + IdleCarriers.STEP_ASIDE_WAIT_NANOS;
                long by = longer - until < 0 ? longer : until;
                if (IdleCarriers.askToStepAside(now, by)) {
                    stealBy = by;
                }
            }
            lastPartnerId = partnerId;
        }
        if (stealBy - until > 0) {
            stealBy = until; // a try for a steal ends with the poll, and counts as a miss if none came
        }
        boolean stolen = false;
        do {
            Thread.onSpinWait();
            if (system && systemSignal) {
                systemSignal = false;
                return SystemSignals.SYSTEM;
            }
            if (hasArrivals()) {
                Object m = take(patterns, false);
                if (m != Mailbox.NONE) {
                    if (stolen) {
                        stealTries = afterSteal(stealTries);
                    }
                    return m;
                }
            }
            now = System.nanoTime();
            if (partner != null) {
                if (!partner.wokenNotRun()) {
                    partner = null; // another carrier took it: its reply can come while we poll
                    stolen = true;
                } else if (now - stealBy >= 0) {
                    // Still queued, most likely behind us on this carrier: let it run.
                    stealTries = afterMiss(stealTries);
                    return Mailbox.NONE;
                }
            }
        } while (now - until < 0);
        return Mailbox.NONE;
    }

    /** {@link #stealTries} after a steal that came in time. */
    static byte afterSteal(byte tries) {
        return (byte) Math.min(STEAL_TRIES, tries + 1);
    }

    /** {@link #stealTries} after a try whose partner was not stolen: one less, or at 0 a cool-down. */
    static byte afterMiss(byte tries) {
        return (byte) (tries > 0 ? tries - 1 : -STEAL_COOLDOWN);
    }

    /** {@link #stealTries} after a wait that parked at once, cooling down: one wait nearer the next try. */
    static byte afterCoolingWait(byte tries) {
        return (byte) (tries + 1);
    }

    /**
     * The step, once the top frame names its version. A step's class is the runtime's (a qualified call, a server's
     * loop) or, nearly always, a fun of the top frame's version (a local tail call): a comparison of class loaders
     * and no lookup, on every step. Any other step (a fun of another version or module, a fun made before a refresh
     * re-bound its version, any step at depth 0) is handled out of line.
     */
    private Next entered(Next step) {
        ClassLoader cl = step.getClass().getClassLoader();
        if (cl != RUNTIME_LOADER) {
            int d = depth; // at most 1 here: every qualified call of the last step has returned
            if (d == 0 || cl != ((ModuleVersion) frames[2 * d - 2]).loader()) {
                foreignStep(step);
            }
        }
        return step;
    }

    /**
     * A step made by another version (or module) than the top frame's, e.g. one held in a message or in state: the
     * process now runs that version's code, so the top frame names it, as a qualified tail call into it would
     * (purges see it by its frame even if the process never answers a {@link StackCheck}; messages are checked
     * against it). A step of a purged version is {@code undef}, as a fun of purged code is in Erlang. A step of no
     * module (a non-module bundle's, a test's) changes nothing.
     */
    private void foreignStep(Next step) {
        ModuleVersion v = Crossing.stepVersion(step.getClass());
        if (v != null && v != topVersion()) {
            replaceTopFrame(v, "fun", null);
        }
    }

    /** A message may only reach module code that can read it (see {@link Crossing}); otherwise it is a dead letter. */
    Object admit(Object m) {
        progress++;
        ModuleVersion top = topVersion();
        if (top != null) {
            try {
                Crossing.check("message", m, top);
            } catch (HotcodeException e) {
                table.deadLetter(this, m, INCOMPATIBLE);
                throw e;
            }
        }
        return m;
    }

    ProcessTable table() {
        return table;
    }

    /** Its id's hash, as a pid's. Equality stays identity: two processes never share an id. */
    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public String toString() {
        return "<0." + id + ".0>";
    }
}
