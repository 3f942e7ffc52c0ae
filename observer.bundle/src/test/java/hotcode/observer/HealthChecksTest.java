package hotcode.observer;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.Kernel;
import org.apache.felix.hc.api.Result;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The health checks against a runtime without OSGi (a kernel installed for each test), with their default limits. */
public class HealthChecksTest {
    private Kernel k;
    private final HealthChecks checks = new HealthChecks(null);

    @Before
    public void start() {
        k = new Kernel(2000);
        Kernel.install(k);
    }

    @After
    public void stop() throws InterruptedException {
        k.processes().killAll(1000);
        Kernel.uninstall(k);
    }

    private static Pid sleeper() {
        return Hotcode.spawn(() -> {
            Hotcode.sleep(60_000);
            return Next.done();
        });
    }

    @Test(timeout = 60_000)
    public void aMailboxAboveTheLimitWarnsNamingTheProcess() {
        Pid quiet = sleeper();
        assertEquals(Result.Status.OK, checks.mailboxes().getStatus());
        Pid full = sleeper();
        for (int i = 0; i <= 10_000; i++) {
            Hotcode.send(full, i);
        }
        Result r = checks.mailboxes();
        assertEquals(Result.Status.WARN, r.getStatus());
        assertTrue(r.toString(), r.toString().contains(full.toString()));
        assertTrue(r.toString(), !r.toString().contains(quiet.toString()));
    }

    @Test(timeout = 60_000)
    public void deadLettersRisingWarnFromTheSecondExecution() throws Exception {
        assertEquals(Result.Status.OK, checks.deadLetters().getStatus()); // the base
        Pid gone = sleeper();
        Hotcode.exit(gone, Hotcode.KILL);
        assertTrue(k.processes().awaitExit(gone, TimeUnit.SECONDS.toMillis(30)));
        for (int i = 0; i < 200; i++) {
            Hotcode.send(gone, i); // noproc, 200 within well under a minute
        }
        Result r = checks.deadLetters();
        assertEquals(r.toString(), Result.Status.WARN, r.getStatus());
        assertTrue(r.toString(), r.toString().contains("noproc"));
    }

    @Test(timeout = 60_000)
    public void withoutOldCodeOrPurgeBlockersAllIsWell() {
        assertEquals(Result.Status.OK, checks.oldCode().getStatus());
        assertEquals(Result.Status.OK, checks.purgeBlockers().getStatus());
    }
}
