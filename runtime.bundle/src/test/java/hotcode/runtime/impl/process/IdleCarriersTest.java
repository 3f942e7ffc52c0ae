package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.After;
import org.junit.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The idle carriers' spinners: asleep until a message wakes a parked process, spinning while such wake-ups go on,
 * asleep again within the window after the last, and gone when stopped. How much they save is timing, measured in
 * BENCHMARKS.md ("i16-idle"), not asserted here.
 */
public class IdleCarriersTest extends KernelTest {

    @After
    public void stopSpinners() {
        IdleCarriers.stop();
    }

    @Test(timeout = 60_000)
    public void aMessageThatWakesAParkedProcessWakesTheSpinnersWhichSleepAgainOnceNoneCome() throws Exception {
        IdleCarriers.start(1, 50);
        Thread spinner = IdleCarriers.spinners()[0];
        Pid b = Hotcode.spawn(() -> {
            Hotcode.receive(atom("m"));
            out.add("got it");
            return Next.done();
        });
        Proc pb = k.processes().lookup(b);
        awaitState(pb, "waiting", () -> pb.state() == Proc.State.WAITING);
        awaitAsleep(spinner);
        long spells = IdleCarriers.spellsEnded();
        Hotcode.spawn(() -> {
            Hotcode.send(b, atom("m"));
            return Next.done();
        });
        assertEquals("got it", next());
        // counted by the sender after its unpark of b, so b may have answered first: wait for the count
        awaitState("the spinners' idle spell", "ended by the send that woke b, a parked process",
                () -> IdleCarriers.spellsEnded() == spells + 1);
        awaitAsleep(spinner); // no more wake-ups: asleep again within the window, an idle runtime spends no CPU
    }

    @Test(timeout = 60_000)
    public void aSendToAProcessThatIsNotParkedInAReceiveLeavesTheSpinnersAsleep() throws Exception {
        IdleCarriers.start(1, 50);
        Thread spinner = IdleCarriers.spinners()[0];
        CountDownLatch go = new CountDownLatch(1);
        Pid b = Hotcode.spawn(() -> {
            while (go.getCount() > 0) {
                LockSupport.parkNanos(1_000_000); // running, not in a receive: a message finds it not waiting
            }
            Hotcode.receive(atom("m")); // already in its mailbox: no wait
            out.add("got it");
            return Next.done();
        });
        awaitAsleep(spinner);
        long spells = IdleCarriers.spellsEnded();
        k.processes().send(b, atom("m"));
        go.countDown();
        assertEquals("got it", next());
        assertEquals("no message woke a parked process, yet the spinners were woken", spells,
                IdleCarriers.spellsEnded());
        assertEquals(IdleCarriers.PARKED, IdleCarriers.state());
    }

    @Test(timeout = 60_000)
    public void stopEndsTheSpinnersAndLaterWakeUpsCostNothing() throws Exception {
        IdleCarriers.start(2, 50);
        Thread[] spinners = IdleCarriers.spinners();
        assertEquals(2, spinners.length);
        IdleCarriers.woke();
        for (Thread t : spinners) {
            awaitAsleep(t); // parked: only the stop's unpark can end them
        }
        IdleCarriers.stop();
        for (Thread t : spinners) {
            assertTrue(t + " still alive after stop", t.join(java.time.Duration.ofSeconds(WAIT)));
        }
        assertEquals(IdleCarriers.STOPPED, IdleCarriers.state());
        long spells = IdleCarriers.spellsEnded();
        IdleCarriers.woke();
        assertEquals(IdleCarriers.STOPPED, IdleCarriers.state());
        assertEquals(spells, IdleCarriers.spellsEnded());
    }

    @Test(timeout = 60_000)
    public void aWakeUpWakesEverySpinnerAndAllSleepAgainAfterTheWindow() throws Exception {
        IdleCarriers.start(2, 10_000);
        Thread[] spinners = IdleCarriers.spinners();
        for (Thread t : spinners) {
            awaitAsleep(t);
        }
        IdleCarriers.woke();
        for (Thread t : spinners) {
            // More wake-ups while we look keep the woken spinning (a busy test thread on two cores may not be scheduled
            // within a 10 ms window); they unpark nobody, the state is no longer PARKED: a spinner the first left
            // asleep stays asleep
            awaitState(t, "awake", () -> {
                IdleCarriers.woke();
                return t.getState() != Thread.State.WAITING;
            });
        }
        for (Thread t : spinners) {
            awaitAsleep(t);
        }
    }

    @Test
    public void aWindowOfZeroOrNoSpareCarrierStartsNoSpinner() {
        IdleCarriers.start(1, 0);
        assertEquals(0, IdleCarriers.spinners().length);
        assertEquals(IdleCarriers.STOPPED, IdleCarriers.state());
        IdleCarriers.start(0, 50);
        assertEquals(0, IdleCarriers.spinners().length);
        assertEquals(IdleCarriers.STOPPED, IdleCarriers.state());
    }

    @Test(timeout = 60_000)
    public void aRestartEndsTheSpinnersOfTheStartBefore() throws Exception {
        IdleCarriers.start(1, 50);
        Thread first = IdleCarriers.spinners()[0];
        awaitAsleep(first); // parked: only the restart's unpark can end it
        IdleCarriers.start(1, 100);
        Thread second = IdleCarriers.spinners()[0];
        assertNotEquals(first, second);
        assertTrue(first.join(java.time.Duration.ofSeconds(WAIT)));
        assertTrue(second.isAlive());
    }

    @Test(timeout = 60_000)
    public void aSpinnerAskedToStepAsidePutsTheSpinnersToSleepBeforeTheirWindowEnds() throws Exception {
        Thread spinner = oneSpinnerAsleep();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        for (;;) { // one try per wake-up; a try fails only if this thread or the spinner is held up for milliseconds
            assertTrue("no step aside seen before the window's end within " + WAIT + " s",
                    System.nanoTime() < deadline);
            long before = IdleCarriers.stepsAside();
            long woke = System.nanoTime();
            IdleCarriers.woke(); // as a message that wakes a parked process: the spinner spins for the 10 ms window
            // Ask afresh whenever the last request was taken or ran out (5 us, as a polling process's poll), while the
            // spinner has at least half its window to go; then it must have stepped aside, and be asleep, long before
            // the window would have put it to sleep.
            while (IdleCarriers.stepsAside() == before && System.nanoTime() - woke < 5_000_000) {
                long now = System.nanoTime();
                assertTrue("spinners run", IdleCarriers.askToStepAside(now, now + IdleCarriers.STEP_ASIDE_WAIT_NANOS));
                Thread.onSpinWait();
            }
            if (IdleCarriers.stepsAside() == before) {
                awaitAsleep(spinner); // no request taken in time this round (a slow host): try again
                continue;
            }
            awaitAsleep(spinner);
            long asleepAfter = System.nanoTime() - woke;
            if (asleepAfter < TimeUnit.MICROSECONDS.toNanos(IdleCarriers.MAX_MICROS)) {
                assertEquals("one step aside", before + 1, IdleCarriers.stepsAside());
                return; // asleep before the window could have ended: the step aside put it there
            }
        }
    }

    @Test(timeout = 60_000)
    public void aRequestWhoseAskerStoppedPollingMovesNoSpinner() throws Exception {
        Thread spinner = oneSpinnerAsleep();
        long before = IdleCarriers.stepsAside();
        // the asker polled until a second ago: leaving the carrier now would help nobody
        long past = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
        assertTrue(IdleCarriers.askToStepAside(past, past + IdleCarriers.STEP_ASIDE_WAIT_NANOS));
        assertTrue("the request waits for a spinner", IdleCarriers.stepAsidePending());
        IdleCarriers.woke();
        awaitState("the stale request", "cleared by the spinner", () -> !IdleCarriers.stepAsidePending());
        awaitAsleep(spinner);
        assertEquals("no step aside for a stale request", before, IdleCarriers.stepsAside());
    }

    @Test(timeout = 120_000)
    public void whileMostRequestsReachTheSpinnerSlowlyItDeclinesThem() throws Exception {
        Thread spinner = oneSpinnerAsleep();
        // Live requests (their askers poll for another second) that their askers' clocks date SLOW ns back: hand-offs
        // that slow say the cores are far apart. Until a batch is timed the cores count as near, so the spinner steps
        // aside for the first ones (each step aside puts it to sleep: they wake it again), then declines.
        long declined = IdleCarriers.declined();
        askUntil(spinner, new long[] {SLOW}, () -> IdleCarriers.declined() > declined);
        // One in three fast (dated a second ahead: the shortest possible): any batch of CoreDistance.BATCH has a
        // majority of slow ones, so the spinner goes on declining (the shortest, or the mean, would say near).
        long steps = IdleCarriers.stepsAside();
        long more = IdleCarriers.declined() + 3L * CoreDistance.BATCH;
        askUntil(spinner, new long[] {SLOW, SLOW, FAST}, () -> IdleCarriers.declined() >= more);
        assertEquals("far apart: no step aside while most requests are slow", steps, IdleCarriers.stepsAside());
        // Two in three fast: a batch with a majority of fast ones says the cores are near again.
        askUntil(spinner, new long[] {FAST, FAST, SLOW}, () -> IdleCarriers.stepsAside() > steps);
    }

    /** A request dated 1 us back: slow for any host's hand-off limit. */
    private static final long SLOW = -1_000;
    /** A request dated a second ahead: its hand-off is negative, fast. */
    private static final long FAST = TimeUnit.SECONDS.toNanos(1);

    /**
     * Keeps one live request pending, the n-th one made {@code offsets[n % offsets.length]} ns from now by its asker's
     * clock, and the spinner awake, until {@code done}. One at a time: the n-th request is the n-th the spinner takes.
     */
    private static void askUntil(Thread spinner, long[] offsets, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        int n = 0;
        while (!done.getAsBoolean()) {
            assertTrue("not done within " + WAIT + " s", System.nanoTime() < deadline);
            if (IdleCarriers.state() == IdleCarriers.PARKED) {
                IdleCarriers.woke(); // as a message that wakes a parked process
            }
            long now = System.nanoTime();
            if (!IdleCarriers.stepAsidePending()) {
                long offset = offsets[n++ % offsets.length];
                assertTrue(IdleCarriers.askToStepAside(now + offset, now + TimeUnit.SECONDS.toNanos(1)));
            }
            Thread.onSpinWait();
        }
        assertTrue(spinner.isAlive());
    }

    @Test
    public void withoutSpinnersNobodyIsAskedToStepAside() {
        IdleCarriers.start(1, IdleCarriers.MAX_MICROS);
        long now = System.nanoTime();
        IdleCarriers.askToStepAside(now, now + TimeUnit.SECONDS.toNanos(WAIT)); // pending when the spinners stop
        IdleCarriers.start(0, 50);
        now = System.nanoTime();
        assertFalse("no spinner to step aside", IdleCarriers.askToStepAside(now, now + 5_000));
        assertFalse("no request left pending", IdleCarriers.stepAsidePending());
    }

    /** Starts one spinner with the longest window and waits until it sleeps (no wake-up has come yet). */
    private static Thread oneSpinnerAsleep() {
        IdleCarriers.start(1, IdleCarriers.MAX_MICROS);
        Thread spinner = IdleCarriers.spinners()[0];
        awaitAsleep(spinner);
        return spinner;
    }

    /** Waits until the spinner parks in its sleep, failing after {@link #WAIT} seconds. */
    private static void awaitAsleep(Thread spinner) {
        awaitState(spinner, "asleep", () -> IdleCarriers.state() == IdleCarriers.PARKED
                && spinner.getState() == Thread.State.WAITING);
    }

    private static void awaitState(Object who, String what, java.util.function.BooleanSupplier test) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!test.getAsBoolean()) {
            assertTrue(who + " not " + what + " within " + WAIT + " s", System.nanoTime() < deadline);
            Thread.onSpinWait();
        }
    }
}
