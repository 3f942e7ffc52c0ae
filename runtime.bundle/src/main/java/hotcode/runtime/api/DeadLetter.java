package hotcode.runtime.api;

import java.time.Instant;

/**
 * A message that could not be delivered: sent to a process that had exited ({@code noproc}), left in the mailbox of a
 * process when it exited (the exit reason, e.g. {@code killed}), or refused by the version that received it.
 */
public record DeadLetter(Pid to, Object message, Object reason, Instant at) {
    @Override
    public String toString() {
        return at + " to " + to + " (" + Terms.format(reason) + "): " + Terms.format(message);
    }
}
