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

    /** Waits until the spinner parks in its sleep, failing after {@link #WAIT} seconds. */
    @Test(timeout = 60_000)
    public void aSpinnerAskedToStepAsideLeavesItsCarrierForAMomentOncePerRequest() throws Exception {
        IdleCarriers.start(1, IdleCarriers.MAX_MICROS);
        Thread spinner = IdleCarriers.spinners()[0];
        awaitAsleep(spinner);
        long before = IdleCarriers.stepsAside();
        int asked = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        // A request counts only if a spinner sees it within the asker's poll (5 us), and the spinner may be between two
        // turns: ask afresh whenever the last request was taken, as a polling process would at its next wait.
        while (IdleCarriers.stepsAside() == before) {
            assertTrue("no step aside within " + WAIT + " s of requests", System.nanoTime() < deadline);
            IdleCarriers.woke(); // as a message that wakes a parked process: the spinner spins
            if (!IdleCarriers.stepAsidePending()) {
                assertTrue("spinners run: one will step aside", IdleCarriers.askToStepAside(System.nanoTime()));
                asked++;
            }
            Thread.onSpinWait();
        }
        awaitAsleep(spinner); // back from its moment aside, it spins on, then sleeps after the window as before
        long steps = IdleCarriers.stepsAside() - before;
        assertTrue(steps + " steps aside for " + asked + " requests", steps >= 1 && steps <= asked);
    }

    @Test(timeout = 60_000)
    public void aRequestNobodyTookInTimeMovesNoSpinner() throws Exception {
        IdleCarriers.start(1, IdleCarriers.MAX_MICROS);
        Thread spinner = IdleCarriers.spinners()[0];
        awaitAsleep(spinner);
        long before = IdleCarriers.stepsAside();
        // asked a second ago: the asker has long stopped polling for its partner, leaving the carrier would help nobody
        IdleCarriers.askToStepAside(System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
        IdleCarriers.woke();
        awaitState("the stale request", "cleared by the spinner", () -> !IdleCarriers.stepAsidePending());
        awaitAsleep(spinner);
        assertEquals("no step aside for a stale request", before, IdleCarriers.stepsAside());
    }

    @Test
    public void withoutSpinnersNobodyIsAskedToStepAside() {
        IdleCarriers.start(0, 50);
        assertFalse("no spinner to step aside", IdleCarriers.askToStepAside(System.nanoTime()));
        assertFalse("no request left pending", IdleCarriers.stepAsidePending());
    }

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
