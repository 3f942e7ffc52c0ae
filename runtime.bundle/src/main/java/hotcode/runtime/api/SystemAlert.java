package hotcode.runtime.api;

import java.time.Instant;
import java.util.Locale;

/**
 * A condition the system monitor (after Erlang's {@code erlang:system_monitor}) has found in a process and that still
 * holds: read them with {@link Hotcode#systemAlerts()}; {@code hotcode:alerts} lists them and {@code hotcode:ps} shows
 * their kinds. Each is also logged once when raised and once when it clears.
 *
 * @param pid     the process
 * @param kind    what was found
 * @param name    its registered name when the alert was raised, or null
 * @param module  the module of the code it ran (its innermost qualified call; for {@link Kind#RUNS_PURGED_CODE} the
 *                purged module), or null when it ran no module code
 * @param version that module's version, or null
 * @param since   when the condition began (as first seen by the monitor, which samples)
 * @param detail  what was seen, for people: how long, how many messages, where it was running
 */
public record SystemAlert(Pid pid, Kind kind, String name, String module, String version, Instant since, String detail) {
    /** The conditions watched; {@link #toString()} is the Erlang-style name used in logs and on the console. */
    public enum Kind {
        /**
         * The process has kept its carrier thread longer than the limit without a receive, send, sleep or other
         * runtime effect (Erlang's {@code long_schedule}). Java cannot preempt it: as many such processes as there
         * are cores stop every other process.
         */
        LONG_SCHEDULE,
        /**
         * Its mailbox holds more messages than the limit (Erlang's {@code long_message_queue}); it clears when the
         * mailbox is down to half the limit.
         */
        LONG_MESSAGE_QUEUE,
        /**
         * A purge dropped code that the process was still running after the purge's time bound (it could not be
         * killed: a kill takes effect at a runtime call); it clears when the process exits or leaves that code.
         */
        RUNS_PURGED_CODE;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public String toString() {
        return kind + ": " + pid + (name == null ? "" : " " + name)
                + " (" + (module == null ? "no module code" : module + " " + version) + ") " + detail;
    }
}
