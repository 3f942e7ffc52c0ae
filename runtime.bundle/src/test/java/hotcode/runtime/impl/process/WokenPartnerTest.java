package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A process remembers the process its send woke, and that process says when it runs: the sender's poll asks this
 * before it waits for a reply that cannot come while the woken process waits for the sender's carrier (Proc.poll).
 * What the poll then does with it is timing, measured in BENCHMARKS.md ("i16-woke"), not asserted here.
 */
public class WokenPartnerTest extends KernelTest {

    @Test(timeout = 60_000)
    public void aSendThatWakesAWaitingProcessIsRememberedAndTheWokenProcessSaysItRuns() throws Exception {
        CountDownLatch stay = new CountDownLatch(1);
        Pid b = Hotcode.spawn(() -> {
            Pid from = (Pid) Hotcode.receive(Pid.class);
            Hotcode.send(from, atom("ack"));
            parkUntil(stay); // runs on, without waiting in a receive: its mailbox's state is the wake-up's alone
            return Next.done();
        });
        Proc pb = k.processes().lookup(b);
        awaitWaiting(pb); // b parks in its receive: the send below must wake it
        Hotcode.spawn(() -> {
            Proc self = Proc.current("test");
            Hotcode.send(b, Hotcode.self());
            boolean remembered = self.woke() == pb;
            Hotcode.receive(atom("ack"));
            out.add(List.of(remembered, pb.wokenNotRun(), pb.state(), String.valueOf(self.woke())));
            return Next.done();
        });
        Object seen = next();
        stay.countDown();
        assertEquals("[the sender remembered the woken process, it still shows woken once it ran, its state, what"
                + " the sender remembers after its receive]", List.of(true, false, Proc.State.RUNNABLE, "null"), seen);
        assertTrue(pb.awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
    }

    @Test(timeout = 60_000)
    public void aSendToAProcessThatIsNotWaitingWakesNobody() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        Pid b = Hotcode.spawn(() -> {
            parkUntil(go); // running, not in a receive
            Hotcode.receive(atom("m"));
            return Next.done();
        });
        Hotcode.spawn(() -> {
            Hotcode.send(b, atom("m"));
            out.add(String.valueOf(Proc.current("test").woke()));
            return Next.done();
        });
        assertEquals("null", next());
        go.countDown();
        assertTrue(k.processes().lookup(b).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
    }

    /**
     * The cool-down arithmetic of {@code Proc.stealTries}: steals raise it to at most 4, misses lower it, a miss at 0
     * starts 64 waits that park at once, and then the process tries again.
     */
    @Test
    public void stealTriesCoolDownAfterAMissAtZeroAndTryAgainAfter64Waits() {
        byte t = 0;
        for (int i = 0; i < 6; i++) {
            t = Proc.afterSteal(t);
        }
        assertEquals(4, t);
        for (int i = 0; i < 4; i++) {
            t = Proc.afterMiss(t);
        }
        assertEquals(0, t);
        t = Proc.afterMiss(t);
        assertEquals(-64, t);
        int waits = 0;
        while (t < 0) {
            t = Proc.afterCoolingWait(t);
            waits++;
        }
        assertEquals(64, waits);
        assertEquals(0, t);
    }

    private static void awaitWaiting(Proc p) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (p.state() != Proc.State.WAITING) {
            assertTrue(p + " not waiting within " + WAIT + " s", System.nanoTime() < deadline);
            Thread.onSpinWait();
        }
    }

    /** Parks the calling process, outside any receive, until the latch opens. */
    private static void parkUntil(CountDownLatch latch) {
        while (latch.getCount() > 0) {
            LockSupport.parkNanos(1_000_000);
        }
    }
}
