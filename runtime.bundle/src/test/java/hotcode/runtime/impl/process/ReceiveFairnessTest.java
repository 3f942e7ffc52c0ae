package hotcode.runtime.impl.process;

import org.junit.Test;

/**
 * A receive that waits must not keep a runnable process from its carrier for long, however busy the carriers are.
 * 32 clients per carrier (64 on 2 cores) call 2,000 servers back to back for 3 s (the benchmark's servers group,
 * smaller): no call takes 150 ms. A receive that spun with {@code Thread.yield()} fails this: a virtual thread that
 * yields while its carrier's own queue is empty goes to the scheduler's external queue, which a carrier serves only
 * once its own queue runs dry, and with the clients in closed loops that can take long (on 2 cores, the longest call
 * of each of two rounds: 406/225, 504/231 and 1,874/677 ms in three runs with the yield-spin; 11-27 ms with the busy
 * poll; in the benchmark's servers group, 1-68 s: BENCHMARKS.md, "The receive's spin"). The bound sits between the
 * two, over five times the fair figure; a round over it is run once more ({@link BusyCarriersTest}). This checks
 * fairness, not speed.
 */
public class ReceiveFairnessTest extends BusyCarriersTest {

    @Test(timeout = 120_000)
    public void noCallWaitsLongWhileManyClientsKeepTheCarriersBusy() throws Exception {
        assertNoCallWaitsLong(echoServers(2_000), BusyCarriersTest::sendAndReceive);
    }
}
