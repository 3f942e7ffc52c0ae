package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import org.junit.Test;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A process that waits for another's lock must get it back soon, however busy the carriers are. 32 clients per
 * carrier call 16 servers back to back for 3 s, each call monitoring its server as {@code GenServer.call} does, while
 * two more processes hold the servers' locks for 20 us at a time, so that clients wait for them, parked, all the time:
 * no call takes 150 ms. A lock whose waiter is resumed from the scheduler's external queue fails this (as a contended
 * {@code synchronized} is, by the JDK's unblocker thread, on JDK 24 and later): with the clients in closed loops the
 * carriers serve that queue only when their own queues run dry (in the benchmark's servers group such calls took
 * 0.25-2 s; with the wake-up moved to a platform thread, this test saw 450 and 769 ms: BENCHMARKS.md, "i16-lock").
 * Fairness, not speed.
 */
public class LockFairnessTest extends BusyCarriersTest {

    @Test(timeout = 120_000)
    public void noCallWaitsLongForAServersLockWhileManyClientsKeepTheCarriersBusy() throws Exception {
        assertNoCallWaitsLong(echoServers(16), (self, server, token) -> {
            Ref ref = k.processes().monitor(self, server); // both processes' locks, as a call's monitor takes them
            boolean answered = sendAndReceive(self, server, token);
            k.processes().demonitor(self, ref);
            return answered;
        });
    }

    /**
     * Two processes take the servers' locks and hold each for 20 us, longer than a waiter spins: the clients that meet
     * them park and are woken by a process's release (a rare event in a real run, made common here).
     */
    @Override
    void alsoDuringRound(Pid[] servers, long end) {
        for (int h = 0; h < 2; h++) {
            Hotcode.spawn(() -> {
                while (System.nanoTime() - end < 0) {
                    Proc server = k.processes().lookup(servers[ThreadLocalRandom.current().nextInt(servers.length)]);
                    server.lock();
                    try {
                        long until = System.nanoTime() + 20_000;
                        while (System.nanoTime() - until < 0) {
                            Thread.onSpinWait();
                        }
                    } finally {
                        server.unlock();
                    }
                    Hotcode.receive(Duration.ofNanos(1), "nothing"); // a runtime call: the process can be stopped
                }
                return Next.done();
            });
        }
    }
}
