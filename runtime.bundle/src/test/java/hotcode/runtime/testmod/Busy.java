package hotcode.runtime.testmod;

import hotcode.runtime.api.Next;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static hotcode.runtime.api.Hotcode.receive;

/** The test module {@code busy}: processes the system monitor must find (see SystemMonitorTest). */
public final class Busy {
    private Busy() {
    }

    /** A CPU loop that makes no runtime call until {@code stop} is set (the test sets it once it has its answer). */
    public static Next spin(AtomicBoolean stop, BlockingQueue<Object> out) {
        out.add("spinning");
        while (!stop.get()) {
            Thread.onSpinWait();
        }
        out.add("stopped");
        return Next.done();
    }

    /**
     * Says "hoarding", then leaves every message but {@code "drain"} in its mailbox; on {@code "drain"} takes them all
     * and says how many.
     */
    public static Next hoard(BlockingQueue<Object> out) {
        out.add("hoarding");
        return () -> hoarding(out);
    }

    private static Next hoarding(BlockingQueue<Object> out) {
        receive("drain");
        int n = 0;
        while (receive(Duration.ZERO) != null) {
            n++;
        }
        out.add(n);
        return () -> hoarding(out);
    }
}
