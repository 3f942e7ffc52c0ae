package hotcode.testing;

import java.util.List;

import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;

/**
 * Counts the runtime's dead letters (messages that could not be delivered: to a process that had exited, left in the
 * mailbox of one that exited, or refused by the version that received them) from a mark on, to check that an
 * upgrade lost nothing:
 *
 * <pre>
 * DeadLetters mark = DeadLetters.mark();
 * Modules.update(bundle, Modules.jar("mymodule.v2.jar"));
 * ...
 * mark.assertNone();      // fails listing the recent dead letters
 * </pre>
 *
 * The count is the runtime's, for every process: a test that runs other work meanwhile counts its dead letters too.
 */
public final class DeadLetters {
    private final long start;

    private DeadLetters(long start) {
        this.start = start;
    }

    /** Marks the runtime's dead-letter count now. */
    public static DeadLetters mark() {
        return new DeadLetters(Hotcode.deadLetterCount());
    }

    /** The dead letters counted since the mark. */
    public long count() {
        return Hotcode.deadLetterCount() - start;
    }

    /** Fails, listing the runtime's recent dead letters, if any dead letter was counted since the mark. */
    public void assertNone() {
        long n = count();
        if (n != 0) {
            throw new AssertionError(n + " dead letter(s) since the mark; recent: " + recent());
        }
    }

    /** The runtime's most recent dead letters (for failure messages). */
    public static List<DeadLetter> recent() {
        return Hotcode.recentDeadLetters();
    }
}
