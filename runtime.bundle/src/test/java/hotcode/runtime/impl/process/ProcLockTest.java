package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The process's lock ({@code Proc.lock()}): mutual exclusion between virtual and platform threads, and a waiter that
 * holds no carrier while it waits, so a lock held by a platform thread (the upgrading thread commits each server under
 * its lock) never stops other processes. How soon a waiter runs once the lock is free is timing, measured in
 * BENCHMARKS.md ("i16-lock"), not asserted here.
 */
public class ProcLockTest extends KernelTest {

    private long counter; // guarded by the process's lock under test

    @Test(timeout = 60_000)
    public void virtualAndPlatformThreadsTakeTheLockOneAtATime() throws Exception {
        Proc p = idleProcess();
        int perThread = 20_000;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Runnable add = () -> {
                for (int n = 0; n < perThread; n++) {
                    p.lock();
                    try {
                        counter++; // a lost update shows as a count below 6 x perThread
                    } finally {
                        p.unlock();
                    }
                }
            };
            threads.add(i % 3 == 0 ? Thread.ofPlatform().start(add) : Thread.ofVirtual().start(add));
        }
        for (Thread t : threads) {
            t.join();
        }
        p.lock();
        try {
            assertEquals(6L * perThread, counter);
        } finally {
            p.unlock();
        }
    }

    @Test(timeout = 60_000)
    public void processesWaitingForALockThatAPlatformThreadHoldsLeaveTheCarriersToOthers() throws Exception {
        Proc p = idleProcess();
        int waiters = 4 * Runtime.getRuntime().availableProcessors() + 4; // more than there are carriers
        CountDownLatch gotIt = new CountDownLatch(waiters);
        List<Thread> threads = new ArrayList<>();
        p.lock();
        try {
            for (int i = 0; i < waiters; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    p.lock();
                    p.unlock();
                    gotIt.countDown();
                }));
            }
            // every carrier is offered a waiter first; one that held its carrier would keep this one from running
            Thread other = Thread.ofVirtual().start(() -> { });
            assertTrue("another virtual thread ran while " + waiters + " waited for the lock",
                    other.join(java.time.Duration.ofSeconds(WAIT)));
            assertEquals("no waiter got the lock while it was held", waiters, gotIt.getCount());
        } finally {
            p.unlock();
        }
        assertTrue("every waiter got the lock once it was free", gotIt.await(WAIT, TimeUnit.SECONDS));
        for (Thread t : threads) {
            t.join();
        }
    }

    @Test(timeout = 60_000)
    public void aWaiterThatIsInterruptedStaysParkedAndKeepsItsInterruptStatus() throws Exception {
        Proc p = idleProcess();
        java.util.concurrent.atomic.AtomicBoolean interruptedAfter = new java.util.concurrent.atomic.AtomicBoolean();
        Thread waiter;
        p.lock();
        try {
            waiter = Thread.ofVirtual().start(() -> {
                p.lock();
                p.unlock();
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
            awaitState(waiter, Thread.State.TIMED_WAITING); // parked (with a timeout: LockWaiters.RECHECK_NANOS)
            waiter.interrupt();
            awaitState(waiter, Thread.State.TIMED_WAITING);
            // parked, not spinning on a carrier (park returns at once while interrupted); it wakes briefly every
            // RECHECK_NANOS to look at the lock, so a sample may catch it running
            int parked = 0;
            for (int i = 0; i < 20; i++) {
                parked += waiter.getState() == Thread.State.TIMED_WAITING ? 1 : 0;
                Thread.sleep(1);
            }
            assertTrue("the interrupted waiter was parked in " + parked + " of 20 samples", parked >= 15);
        } finally {
            p.unlock();
        }
        waiter.join();
        assertTrue("the waiter still has its interrupt status once it has the lock", interruptedAfter.get());
    }

    @Test(timeout = 60_000)
    public void aWaiterWhoseWakeUpWasLostTakesTheLockOnceItIsFree() throws Exception {
        Proc p = idleProcess();
        CountDownLatch gotIt = new CountDownLatch(1);
        p.lock();
        Thread waiter = Thread.ofVirtual().start(() -> {
            p.lock();
            p.unlock();
            gotIt.countDown();
        });
        awaitState(waiter, Thread.State.TIMED_WAITING);
        // A release whose wake-up never came (a StackOverflowError in LockWaiters.wakeOne after the lock was freed):
        // the lock is free and the waiter still queued.
        java.lang.reflect.Field state = Proc.class.getDeclaredField("lockState");
        state.setAccessible(true);
        state.setByte(p, Proc.FREE);
        assertTrue("the waiter looked at the lock after its timed park and took it",
                gotIt.await(WAIT, TimeUnit.SECONDS));
        waiter.join();
        assertTrue(p.lockIsFree());
    }

    private static void awaitState(Thread t, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (t.getState() != state && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(state, t.getState());
    }

    /** A process that waits in its receive for the whole test: its lock is what the tests use. */
    private Proc idleProcess() {
        Pid pid = Hotcode.spawn(() -> {
            Hotcode.receive("never");
            return Next.done();
        });
        return k.processes().lookup(pid);
    }
}
