package hotcode.observer.itest.load;

import hotcode.runtime.api.Module;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;

import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;

/**
 * A load for the observer's browser tests: {@code loadgen:spawn(N)} spawns N idle processes and fills mailboxes
 * (every tenth process gets {@code i % 100} messages, the one in the middle {@link #DEEPEST} of them), so the
 * processes page has many rows to sort and a known largest mailbox. Returns the pid with the largest mailbox.
 */
@Module(name = "loadgen", commands = "spawn")
public final class LoadGen {
    /** The largest mailbox: the first row once the table is sorted by mailbox, largest first. */
    public static final int DEEPEST = 5000;

    private LoadGen() {
    }

    public static Pid spawn(int n) {
        Pid deepest = null;
        for (int i = 1; i <= n; i++) {
            Pid p = hotcode.runtime.api.Hotcode.spawn("loadgen", "idle");
            int messages = i == n / 2 ? DEEPEST : i % 10 == 0 ? i % 100 : 0;
            for (int m = 0; m < messages; m++) {
                send(p, m);
            }
            if (i == n / 2) {
                deepest = p;
            }
        }
        return deepest;
    }

    /** A process that leaves its mailbox alone: it sleeps until it is killed. */
    public static Next idle() {
        sleep(Long.MAX_VALUE / 4_000_000L);
        return Next.done();
    }
}
