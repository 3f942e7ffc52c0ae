package hotcode.runtime.impl.server;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.Supervisor.Child;
import hotcode.runtime.api.Supervisor.Strategy;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.testmod.Srv;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** Stopping the runtime: every process ends, and the console gets one line about undelivered messages, not a storm. */
public class ShutdownTest extends KernelTest {
    /**
     * Regression: stopping the runtime (the console's shutdown) printed a WARNING for each message its own shutdown
     * made undeliverable: DOWNs to monitors, EXITs to trapping linked processes and supervisors, queued messages.
     */
    @Test(timeout = 60_000)
    public void stoppingLogsOneSummaryInsteadOfAWarningPerUndeliveredMessage() throws Exception {
        ModuleVersion v1 = Modules.load(k, "srv", Srv.class, "1.0.0");
        Class<?> counter = v1.loader().loadClass(Srv.Counter.class.getName());
        Supervisor.start("sup", Strategy.ONE_FOR_ONE, 3, Duration.ofSeconds(5),
                Child.server("a", "a", counter, 1), Child.server("b", "b", counter, 2),
                Child.worker("w", "w", "srv", "worker", "w1"));
        for (int i = 0; i < 5; i++) {
            Agent trapping = Agent.spawn();
            trapping.call(() -> Hotcode.trapExit(true));
            Agent linked = Agent.spawnLinked(trapping);
            Agent watcher = Agent.spawn();
            watcher.call(() -> Hotcode.monitor(linked.pid())); // its DOWN finds the watcher exiting or gone
            Hotcode.send(linked.pid(), "queued " + i);
        }
        long before = k.deadLetters().count();

        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            k.processes().killAll(TimeUnit.SECONDS.toMillis(WAIT));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        assertEquals("every process ended", 0, k.processes().count());
        long undelivered = k.deadLetters().count() - before;
        assertTrue("the queued messages at least", undelivered >= 5);
        String errors = err.toString(StandardCharsets.UTF_8);
        assertFalse("no warning per dead letter at shutdown:\n" + errors, errors.contains("WARNING"));
        String info = out.toString(StandardCharsets.UTF_8);
        assertTrue(info, info.contains("[hotcode] " + undelivered + " messages were undelivered at shutdown"));
        assertEquals(info, 1, info.lines().filter(l -> l.contains("undelivered")).count());
    }
}
