package hotcode.runtime.impl.osgi;

import org.junit.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/** {@link ModuleExtender#offCarrier}: a process's anchor work runs on a platform thread, and the process waits for it. */
public class OffCarrierTest {
    private static <T> T inVirtualThread(java.util.concurrent.Callable<T> body) throws Exception {
        AtomicReference<T> out = new AtomicReference<>();
        AtomicReference<Exception> failed = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                out.set(body.call());
            } catch (Exception e) {
                failed.set(e);
            }
        });
        assertTrue("the virtual thread did not end within 10 s", t.join(java.time.Duration.ofSeconds(10)));
        if (failed.get() != null) {
            throw failed.get();
        }
        return out.get();
    }

    @Test
    public void fromAVirtualThreadTheWorkRunsOnAPlatformThreadAndIsDoneOnReturn() throws Exception {
        AtomicBoolean ranOnVirtual = new AtomicBoolean(true);
        AtomicBoolean done = new AtomicBoolean();
        boolean doneAtReturn = inVirtualThread(() -> {
            ModuleExtender.offCarrier("test 1.0.0", () -> {
                ranOnVirtual.set(Thread.currentThread().isVirtual());
                done.set(true);
            });
            return done.get();
        });
        assertFalse(ranOnVirtual.get());
        assertTrue(doneAtReturn);
    }

    @Test
    public void aPlatformThreadRunsTheWorkItself() {
        Thread[] ranOn = new Thread[1];
        ModuleExtender.offCarrier("test 1.0.0", () -> ranOn[0] = Thread.currentThread());
        assertSame(Thread.currentThread(), ranOn[0]);
    }

    @Test
    public void theWorksExceptionReachesTheCaller() throws Exception {
        IllegalStateException thrown = new IllegalStateException("anchor failed");
        Object caught = inVirtualThread(() -> {
            try {
                ModuleExtender.offCarrier("test 1.0.0", () -> {
                    throw thrown;
                });
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        });
        assertSame(thrown, caught);
    }

    @Test
    public void anInterruptedCallerStillWaitsForTheWorkAndKeepsItsInterrupt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> seen = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            ModuleExtender.offCarrier("test 1.0.0", () -> {
                started.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                done.set(true);
            });
            seen.set("done=" + done.get() + " interrupted=" + Thread.currentThread().isInterrupted());
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        caller.interrupt();
        release.countDown();
        assertTrue(caller.join(java.time.Duration.ofSeconds(10)));
        assertEquals("done=true interrupted=true", seen.get());
    }
}
