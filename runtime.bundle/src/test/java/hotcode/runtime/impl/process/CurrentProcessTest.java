package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.spi.Access;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.LogCapture;
import org.junit.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * How a thread knows its process ({@link Access}): the process is its thread's uncaught-exception handler, so a
 * process thread carries no thread-local map (memory per waiting process, issue 16).
 */
public class CurrentProcessTest extends KernelTest {

    @Test(timeout = 60_000)
    public void aProcessIsItsThreadsCurrentProcessAndItsHandler() {
        Agent a = Agent.spawn();
        Proc p = k.processes().lookup(a.pid());
        assertSame(p, a.call(Proc::currentOrNull));
        assertSame(p, a.call(Hotcode::self));
        assertSame("no thread-local: the thread's handler names the process", p,
                a.call(() -> Thread.currentThread().getUncaughtExceptionHandler()));
    }

    @Test(timeout = 60_000)
    public void aThreadThatIsNoProcessHasNoCurrentProcess() throws Exception {
        assertNull(Access.currentOrNull());
        HotcodeException e = assertThrows(HotcodeException.class, () -> Access.current("receive"));
        assertTrue(e.getMessage(), e.getMessage().contains("receive must be called from a Hotcode process, not from "
                + "thread " + Thread.currentThread().getName()));
        AtomicReference<Object> seen = new AtomicReference<>("unset");
        Thread plain = Thread.ofVirtual().start(() -> seen.set(Access.currentOrNull()));
        plain.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertNull("a virtual thread that is not a process", seen.get());
        Thread handled = Thread.ofVirtual().uncaughtExceptionHandler((t, x) -> { }).start(
                () -> seen.set(Access.currentOrNull()));
        handled.join(TimeUnit.SECONDS.toMillis(WAIT));
        assertNull("a thread with a handler of its own", seen.get());
    }

    @Test(timeout = 60_000)
    public void aProcessThreadIsNoProcessOnceItHasTerminated() throws Exception {
        Agent a = Agent.spawn();
        Proc p = k.processes().lookup(a.pid());
        a.exitWith(atom("done"));
        assertTrue(p.awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        assertNull(p.thread().getUncaughtExceptionHandler());
    }

    /** A throwable that escapes the clean-up after a process's exit is reported, naming the process. */
    @Test(timeout = 60_000)
    public void aThrowableInTheCleanUpIsLoggedNamingTheProcess() throws Exception {
        AtomicReference<Pid> pid = new AtomicReference<>();
        String log = LogCapture.during(() -> {
            Agent a = Agent.spawn();
            Proc p = k.processes().lookup(a.pid());
            pid.set(p);
            p.behaviour((proc, reason) -> {
                throw new IllegalStateException("hook failed");
            });
            a.exitWith(atom("done"));
            assertTrue(p.awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        });
        assertTrue(log, log.contains("process " + pid.get() + " failed in its clean-up after exiting with done: "
                + "java.lang.IllegalStateException: hook failed"));
        assertEquals(atom("done"), ((Proc) pid.get()).exitReason());
    }

    /**
     * A thread that a process starts is not that process (nor any): a thread does not inherit its creator's
     * uncaught-exception handler, whichever way it is made, so a helper thread cannot receive from the process's
     * mailbox (which has one owner) or send in its name.
     */
    @Test(timeout = 60_000)
    public void aThreadStartedByAProcessIsNoProcess() {
        Agent a = Agent.spawn();
        Object seen = a.call(() -> {
            AtomicReference<Object> v = new AtomicReference<>("unset"), pl = new AtomicReference<>("unset");
            Thread virtual = Thread.ofVirtual().start(() -> v.set(Access.currentOrNull()));
            Thread platform = new Thread(() -> pl.set(Access.currentOrNull()));
            platform.start();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            Object pooled;
            try {
                virtual.join();
                platform.join();
                pooled = pool.submit(Access::currentOrNull).get();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                pool.shutdown();
            }
            return java.util.Arrays.asList(v.get(), pl.get(), pooled);
        });
        assertEquals("current process of a virtual, a platform and a pool thread started by " + a.pid(),
                java.util.Arrays.asList(null, null, null), seen);
    }

    /**
     * Libraries report a throwable they caught to the current thread's handler (the JDK's own pattern); on a process
     * thread that handler is the process, which is alive: the log must not say it failed after exiting.
     */
    @Test(timeout = 60_000)
    public void aThrowableReportedToTheHandlerOfARunningProcessIsNotCalledAFailedCleanUp() throws Exception {
        Agent a = Agent.spawn();
        String log = LogCapture.during(() -> a.call(() -> {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, new IllegalStateException("a library's error"));
            return null;
        }));
        assertTrue(log, log.contains("process " + a.pid() + " ")
                && log.contains("java.lang.IllegalStateException: a library's error"));
        assertTrue(log, !log.contains("clean-up after exiting"));
        assertTrue("process " + a.pid() + " still alive", k.processes().lookup(a.pid()).isAlive());
    }
}
