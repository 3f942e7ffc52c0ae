package hotcode.runtime.impl.process;

import hotcode.runtime.api.Pid;

import java.util.List;

/**
 * One process as the console shows it, after Erlang's {@code process_info}: a snapshot, taken from any thread, of
 * values that go on changing, each read once (two of them may be moments apart, as in Erlang). Clients such as the
 * shell read processes through it, never through the process object. It names module versions by their strings
 * only, so keeping one keeps no version's classes.
 *
 * @param registeredName the name it is registered under, or null
 * @param module         the module of the innermost qualified call in progress (the code it runs now), or null when
 *                       it runs no module code
 * @param version        that version's version string, or null
 * @param old            whether that version is old code
 * @param status         {@code runnable}, {@code waiting} (parked in a receive) or {@code exited}
 * @param frames         the qualified calls in progress, innermost last, as {@code module:function (module version)}
 * @param oldCode        whether any of them runs a module's old version (one not purged yet): Erlang's
 *                       {@code check_process_code}
 */
public record ProcessInfo(Pid pid, String registeredName, String module, String version, boolean old, String status,
                          int messageQueueLen, List<String> frames, boolean oldCode, boolean trapExit,
                          List<Pid> links, List<Pid> monitors, List<Pid> monitoredBy) {
    /** The innermost qualified call in progress, or null. */
    public String currentFunction() {
        return frames.isEmpty() ? null : frames.get(frames.size() - 1);
    }
}
