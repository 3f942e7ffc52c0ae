package hotcode.runtime.testsupport;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.Kernel;
import org.junit.After;
import org.junit.Before;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertNotNull;

/**
 * A runtime without OSGi for each test: a fresh {@link Kernel} installed before and torn down after, and a queue
 * through which test modules reply to the test thread (which is not a process and cannot receive).
 */
public abstract class KernelTest {
    protected static final long WAIT = Agent.WAIT_SECONDS;

    protected Kernel k;
    protected final BlockingQueue<Object> out = new LinkedBlockingQueue<>();

    @Before
    public void startKernel() {
        k = new Kernel(2000);
        Kernel.install(k);
    }

    @After
    public void stopKernel() throws InterruptedException {
        k.processes().killAll(1000);
        Kernel.uninstall(k);
    }

    /** The next reply on {@link #out}, failing the test after {@link #WAIT} seconds. */
    protected Object next() throws InterruptedException {
        Object r = out.poll(WAIT, TimeUnit.SECONDS);
        assertNotNull("no reply within " + WAIT + " s", r);
        return r;
    }

    /** Sends a string command to a test-module process and returns its reply. */
    protected Object ask(Pid p, String command) throws InterruptedException {
        Hotcode.send(p, command);
        return next();
    }
}
