package hotcode.runtime.impl.process;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a carrier that has run out of processes looking for work for a moment before it sleeps, as a BEAM scheduler
 * busy-waits before it sleeps ({@code +sbwt}): for {@code hotcode.idle.spin.us} microseconds after the last time a
 * message woke a parked process (default 50, at most {@link #MAX_MICROS}; 0: never). Meanwhile the JDK's scheduler
 * counts every carrier as busy, so a process that a message wakes waits in its waker's queue and no sleeping carrier
 * is woken for it. That wake-up, an OS thread woken on the other core and the work moved to it, is most of the cost
 * of a message to a parked process on two carriers (the ring: 0.42M hops/s without, 0.83M with; BENCHMARKS.md
 * "i16-idle"). When messages stop waking processes, the spinning stops within the window: an idle runtime uses no
 * CPU for it.
 *
 * <h2>Implementation overview</h2>
 *
 * <p>A spinner is a plain virtual thread (not a process: no pid, no mailbox), one per carrier but one
 * ({@link #defaultCount()}). Its turn is a {@link Thread#yield()}, then a busy poll of {@link #TURN_NANOS}: the yield
 * lets its carrier run what waits in its own queue, and with nothing there puts the spinner in the scheduler's shared
 * queue, which a carrier serves once its own queue is empty, i.e. when it would otherwise go to sleep. So a spinner
 * runs only on a carrier that has nothing else to do, and holds it at most one turn. But the carrier that took the
 * spinner from the shared queue polls that same queue again before it looks at another carrier's
 * ({@code ForkJoinPool.runWorker}), so while its spinner cycles it never steals: a process another carrier's message
 * woke runs there, on its waker's carrier, once the waker waits (see "steps aside" below for when that is wrong).
 * The turn is a few microseconds, not zero, on purpose: a spinner that yields at once takes every process the other
 * carrier's messages wake, and each hop of a ring or a ping-pong then moves between cores (0.9M hops/s and 0.69M
 * round trips/s, against 1.0M and 1.3M with a 3 us turn). With every carrier busy (32 clients calling 10,000 servers) the
 * spinner waits in the shared queue and costs a carrier that runs dry one turn: calls/s 273k against 302k at the
 * median of 10 runs each, within their spread (158-425k); a spinner that slept on a timer after late yields did not
 * do better there and lost 6-24 % of the ring's hops, so it has no such rule.
 *
 * <p>One state for all spinners, read on every such wake-up ({@link #woke()}): {@link #SEEN} (a wake-up since the
 * spinners' last look), {@link #SPINNING}, {@link #PARKED} or {@link #STOPPED}. A waker writes only when the state is
 * not {@code SEEN}, and a spinner clears it once per turn, so the shared line changes once per turn, not per message.
 * The spinner that finds no wake-up for the window ({@code lastWake}, shared) parks them all
 * ({@code SPINNING -> PARKED}); the next wake-up ({@code PARKED -> SEEN}) unparks them: the one wake of a sleeping
 * carrier left per idle spell.
 *
 * <p>A spinner also <em>steps aside</em> when asked ({@link #askToStepAside}): a process polls, for the second time
 * with the same process, for the reply of the process its send woke, which still waits in the asker's carrier queue.
 * Since a cycling spinner keeps its carrier from stealing, two processes that exchange messages would take turns on
 * one carrier for good (ping-pong 1.5-1.8M round trips/s here, where two carriers give 3-4M: each polls for the
 * other's reply while it runs). The spinner that takes the request puts the spinners to sleep until the next wake-up
 * ({@code -> PARKED}); its carrier, looking for work, steals the queued process, and while the two exchange messages
 * without parking, no wake-up comes and the spinners sleep. A request is the asker's deadline: one whose asker has
 * stopped polling helps nobody and moves no spinner. A process that wakes a different process each time (a client of
 * many servers) never asks; one that always wakes the same next process (a ring's) may.
 *
 * <p>But not when the <em>cores are far apart</em>: two processes split over two carriers hand every message from one
 * core to the other, and on a virtual machine that costs what the hypervisor makes it cost, minute by minute. On this
 * kind of host a core-to-core round trip took 41-79 ns in most minutes and 335-520 ns in others, and a ping-pong split
 * over two carriers then made 0.82-0.95M round trips/s, where the same two on one carrier (park, wake, no core
 * crossed) make 1.5-2.1M (BENCHMARKS.md "i16-host"). So a spinner times each request it takes in time, from the
 * asker's clock ({@code askedAt}) to its own after the compare-and-set that took it: one write seen across the cores
 * and one cache line taken back. If more than half of a batch of {@link CoreDistance#BATCH} requests took longer than
 * {@link #FAR_APART_NANOS} (plus one clock read, measured when the spinner starts), it declines the requests, and the
 * two stay on one carrier, until a batch says the cores are near again ({@link CoreDistance}: why a majority). Each
 * spinner decides for itself, from its own {@code CoreDistance}: no shared state, nothing on the send path. On a host
 * whose sockets or cores are always that far apart, pairs stay on one carrier for good, as BEAM's would. While it
 * declines, a spinner spins on as long as wake-ups come, as it did before there were requests: the pair's carrier
 * works, the other spins.
 */
public final class IdleCarriers {
    static final int PARKED = 0;
    static final int SPINNING = 1;
    static final int SEEN = 2;
    static final int STOPPED = 3;
    /** A spinner's busy poll between two yields (see above: why not 0). */
    static final long TURN_NANOS = 3_000;
    /** The longest window allowed. */
    public static final long MAX_MICROS = 10_000;

    private static final VarHandle STATE;
    private static final VarHandle STEP_ASIDE;

    static {
        try {
            STATE = MethodHandles.lookup().findStaticVarHandle(IdleCarriers.class, "state", int.class);
            STEP_ASIDE = MethodHandles.lookup().findStaticVarHandle(IdleCarriers.class, "stepAsideBy", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static volatile int state = STOPPED;
    /** One more at every start and stop: a spinner of an earlier start that outlived its stop's wait ends at its turn. */
    private static volatile int generation;
    /** Written before the state leaves {@code STOPPED}, so a waker that sees {@code PARKED} unparks these. */
    private static volatile Thread[] spinners = new Thread[0];
    private static volatile long windowNanos;
    /**
     * When a spinner last found a wake-up (the clock, written before it clears {@code SEEN}, so whoever sees the
     * state cleared sees the time too): one for all spinners, so that none parks them all while another still sees
     * wake-ups.
     */
    private static volatile long lastWake;
    /** Idle spells a wake-up ended ({@code PARKED -> SEEN}): the wakes of sleeping spinners (one add per spell). */
    private static final AtomicLong SPELLS_ENDED = new AtomicLong();
    /**
     * Until when the process that last asked a spinner to leave its carrier ({@link #askToStepAside}) polls for its
     * partner to be taken, 0 when no request is pending: one for all spinners, cleared by the spinner that takes it.
     * A deadline, not a flag: a request whose asker has stopped polling helps nobody and moves no spinner.
     */
    private static volatile long stepAsideBy;
    /**
     * The longest a process that asks a spinner to step aside polls for its partner to be taken; its poll's own spin
     * ({@code hotcode.receive.spin.ns}, default 2 us) ends it sooner when shorter.
     */
    static final long STEP_ASIDE_WAIT_NANOS = 5_000;
    /** When the pending request was made, by its asker's clock: the spinner that takes it times the hand-off. */
    private static volatile long askedAt;
    /**
     * The longest hand-off of a request between two carriers (asked to taken: the asker's write seen on the other
     * core, then the spinner's compare-and-set that takes the line back) for which a spinner still steps aside; see
     * "cores far apart" above. On this kind of host (2 vCPUs) about 95 % under 200 ns, over half under 100, in most
     * minutes; in its slow ones 90-99.9 % over 200 ns, most under 400 (BENCHMARKS.md "i16-host").
     */
    static final long FAR_APART_NANOS = 200;
    /** Requests a spinner took in time and stepped aside for (tests; one add each, rare next to a turn). */
    private static final AtomicLong STEPS_ASIDE = new AtomicLong();
    /** Requests a spinner took in time and declined, the cores being far apart (tests). */
    private static final AtomicLong DECLINED = new AtomicLong();

    private IdleCarriers() {
    }

    /**
     * A message woke a parked process (its sender's thread, right after the unpark). One volatile read while the
     * spinners are spinning and have not looked since the last wake-up.
     */
    static void woke() {
        if (state != SEEN) {
            seen();
        }
    }

    /**
     * A process polls for the reply of the process its send woke, which still waits in this carrier's queue, for the
     * second time with the same process ({@code Proc.poll}), until {@code until}: asks a spinner to leave its carrier
     * ({@link #stepAside}). A spinner's yield never lets its carrier steal (the carrier takes the spinner straight back
     * from the shared queue it just put it in), so without this the two processes take turns on one carrier for good.
     * Returns whether spinners run (none: nobody will step aside, and the poll waits no longer than it would without
     * spinners). Two volatile reads; two writes (the request and its time) only when no request is pending or the
     * pending one's asker has stopped polling.
     */
    static boolean askToStepAside(long now, long until) {
        if (state == STOPPED) {
            return false;
        }
        long pending = stepAsideBy;
        if (pending == 0 || now - pending >= 0) {
            askedAt = now; // before the request: a spinner that sees this request sees its time (or a later one's)
            stepAsideBy = until == 0 ? 1 : until;
        }
        return true;
    }

    /** Whether a request to step aside waits for a spinner (tests). */
    static boolean stepAsidePending() {
        return stepAsideBy != 0;
    }

    /** How many times a spinner stepped aside (tests). */
    static long stepsAside() {
        return STEPS_ASIDE.get();
    }

    /** How many requests taken in time a spinner declined, the cores being far apart (tests). */
    static long declined() {
        return DECLINED.get();
    }

    /**
     * Leaves this carrier to the process an asker waits for: the spinners sleep as after an idle window
     * ({@code SEEN | SPINNING -> PARKED}) until the next wake-up of a parked process, and this carrier, looking for work,
     * steals what waits in the asker's. Not a timed park: its timer's wake-up comes from a platform thread, which on
     * two cores takes a core from the very processes the step aside was for (with a 50 us timed park, 2 of 10 JVMs of a
     * ping-pong probe stayed at 0.6-0.8M round trips/s; BENCHMARKS.md "i16-aside").
     */
    private static void stepAside() {
        STEPS_ASIDE.incrementAndGet();
        int s = state;
        if (s == SEEN || s == SPINNING) {
            STATE.compareAndSet(s, PARKED);
        }
    }

    private static void seen() {
        for (;;) {
            int s = state;
            if (s == SEEN || s == STOPPED) {
                return;
            }
            if (STATE.compareAndSet(s, SEEN)) {
                if (s == PARKED) {
                    SPELLS_ENDED.incrementAndGet();
                    for (Thread t : spinners) {
                        LockSupport.unpark(t);
                    }
                }
                return;
            }
        }
    }

    /**
     * Starts {@code count} spinners (none when {@code count} or {@code micros} is 0), parked until the first wake-up;
     * stops those of an earlier start first.
     */
    public static synchronized void start(int count, long micros) {
        stop();
        if (count <= 0 || micros <= 0) {
            spinners = new Thread[0];
            return;
        }
        windowNanos = Math.min(micros, MAX_MICROS) * 1000;
        int gen = ++generation;
        Thread[] ts = new Thread[count];
        for (int i = 0; i < count; i++) {
            ts[i] = Thread.ofVirtual().name("hotcode-idle-carrier-" + (i + 1)).inheritInheritableThreadLocals(false)
                    .unstarted(() -> spin(gen));
            ts[i].setContextClassLoader(null); // not the starter's: a spinner runs no module code
        }
        spinners = ts;
        state = PARKED; // an unpark before a spinner starts leaves its permit: its first park returns at once
        for (Thread t : ts) {
            t.start();
        }
    }

    /** Ends the spinners (the runtime stops) and waits for them, briefly. */
    public static synchronized void stop() {
        generation++;
        stepAsideBy = 0; // a request to spinners that are gone
        state = STOPPED; // wakers look no further, so the array may keep the ended threads (for alive())
        Thread[] ts = spinners;
        for (Thread t : ts) {
            LockSupport.unpark(t);
        }
        for (Thread t : ts) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** How many spinners a runtime starts: one per carrier of the JDK's virtual-thread scheduler but one. */
    public static int defaultCount() {
        Integer p = Integer.getInteger("jdk.virtualThreadScheduler.parallelism");
        return Math.max(0, (p != null ? p : Runtime.getRuntime().availableProcessors()) - 1);
    }

    /** The state (tests). */
    static int state() {
        return state;
    }

    /** How many idle spells a wake-up has ended (tests). */
    static long spellsEnded() {
        return SPELLS_ENDED.get();
    }

    /** How many spinners of the last start are alive (the activator's tests). */
    public static synchronized int alive() {
        int n = 0;
        for (Thread t : spinners) {
            n += t.isAlive() ? 1 : 0;
        }
        return n;
    }

    /** The spinners of the last start, alive or ended (tests). */
    static synchronized Thread[] spinners() {
        return spinners.clone();
    }

    /** The shortest time between two clock reads here (a few tens of ns with a TSC clock; more in some VMs). */
    private static long clockReadNanos() {
        long shortest = Long.MAX_VALUE;
        for (int i = 0; i < 32; i++) {
            long t0 = System.nanoTime();
            shortest = Math.min(shortest, System.nanoTime() - t0);
        }
        return shortest;
    }

    private static void spin(int gen) {
        // a time is two clock reads: allow for a slow clock
        CoreDistance cores = new CoreDistance(FAR_APART_NANOS + clockReadNanos());
        turns:
        for (;;) {
            int s = state;
            if (s == STOPPED || gen != generation) {
                return;
            }
            if (s == PARKED) {
                LockSupport.park();
                continue;
            }
            Thread.yield(); // this carrier runs, or takes from another's queue, whatever is runnable, then comes back
            long now = System.nanoTime();
            long turnEnds = now + TURN_NANOS;
            do {
                Thread.onSpinWait();
                now = System.nanoTime();
                long by = stepAsideBy;
                if (by != 0) {
                    // This request's time: the next asker writes it only once this one is taken or stale (two askers at
                    // once may interleave their writes, which skews one time of a batch: the majority decides).
                    long at = askedAt;
                    if (STEP_ASIDE.compareAndSet(by, 0L) && now - by < 0) {
                        if (!cores.timed(System.nanoTime() - at)) {
                            stepAside();
                            continue turns;
                        }
                        DECLINED.incrementAndGet(); // the two stay on one carrier, where their messages cost less
                    }
                }
            } while (now - turnEnds < 0);
            if (state == SEEN) {
                lastWake = now;
                STATE.compareAndSet(SEEN, SPINNING);
            } else if (now - lastWake >= windowNanos) {
                // Another spinner may have cleared a newer wake-up since this one read lastWake: then all park a
                // little early, and the next wake-up unparks them. Costs one sleeper wake, loses nothing.
                STATE.compareAndSet(SPINNING, PARKED);
            }
        }
    }
}
