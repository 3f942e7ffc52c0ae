package hotcode.runtime.api;

import java.time.Instant;

/**
 * A message that could not be delivered: sent to a process that had exited ({@code noproc}), left in the mailbox of a
 * process when it exited (the exit reason, e.g. {@code killed}), or refused by the version that received it.
 *
 * @param from the process that sent it, where the runtime knows it without cost to a send that succeeds: the sending
 *             process of a send or call refused at once ({@code noproc}, {@code noconnection}), and across nodes the
 *             sending process of a message refused on the receiving node ({@code noproc}, {@code incompatible}: a
 *             pid of the other node) or on the sending one ({@code noconnection}). Null ("unknown") for a
 *             message left in a mailbox at exit (a mailbox does not keep senders), one sent from outside any process
 *             (the shell, a plain thread), and every other case.
 */
public record DeadLetter(Pid to, Object message, Object reason, Instant at, Pid from) {
    /** A dead letter whose sender is unknown: the constructor of API 0.6.0 before {@link #from()} existed. */
    public DeadLetter(Pid to, Object message, Object reason, Instant at) {
        this(to, message, reason, at, null);
    }

    @Override
    public String toString() {
        return at + " to " + to + (from == null ? "" : " from " + from) + " (" + Terms.format(reason) + "): "
                + Terms.format(message);
    }
}
