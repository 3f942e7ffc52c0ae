package hotcode.runtime.impl.shell;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.ProcessTable;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.CommandSessionListener;
import org.apache.felix.service.command.Descriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tab completion in the console for the arguments of the {@code hotcode:*} commands: pids and registered names for
 * {@code info}, {@code send}, {@code kill} and the server commands, module names for {@code which}, {@code purge},
 * {@code load} and the other module commands. (Command names complete without help: JLine knows them.)
 *
 * <p>Gogo's line editor (gogo.jline, as Felix's own distribution ships) keeps each interactive session's completions
 * in the session ({@code .completions}) and fills them with its {@code complete} command, normally from a
 * {@code gosh_profile} script; the runtime has no file in the user's framework to put lines into, so it listens to the
 * sessions instead: at the first command an interactive session runs (its profile's first line), it adds its own
 * {@code complete} lines there. Their candidates come from {@link #completions}, run at each Tab, so they are the
 * processes and modules of that moment. A session without gogo.jline (a piped script, Gogo's plain shell) has no
 * completions and is left alone.
 */
public final class ShellCompletion implements CommandSessionListener {
    /** Set in a session once its completions are added. */
    static final String DONE = "hotcode.completions";
    /** At most this many pids are offered: a Tab should not list a million processes. */
    static final int PIDS_OFFERED = 200;

    static final String[] PROCESS_COMMANDS = {"info", "send", "kill", "await"};
    static final String[] SERVER_COMMANDS = {"call", "cast", "state", "suspend", "resume", "children"};
    static final String[] MODULE_COMMANDS = {"which", "purge", "softpurge", "load", "update", "delete"};

    private final ProcessTable processes;
    private final Names names;
    private final CodeServer code;

    ShellCompletion(ProcessTable processes, Names names, CodeServer code) {
        this.processes = processes;
        this.names = names;
        this.code = code;
    }

    /** The {@code complete} lines: the first argument of each command, from {@code hotcode:completions <kind>}. */
    static List<String> lines() {
        List<String> out = new ArrayList<>();
        for (String c : PROCESS_COMMANDS) {
            out.add(firstArgument(c, "processes"));
        }
        for (String c : SERVER_COMMANDS) {
            out.add(firstArgument(c, "names"));
        }
        for (String c : MODULE_COMMANDS) {
            out.add(firstArgument(c, "modules"));
        }
        return out;
    }

    private static String firstArgument(String command, String kind) {
        return "complete -c hotcode:" + command + " -a 'wi = ($.commandLine wordIndex); if { %(wi==1) } "
                + "{ hotcode:completions " + kind + " } { [ ] }'";
    }

    @Override
    public void beforeExecute(CommandSession session, CharSequence command) {
        if (!(session.get(".completions") instanceof Map) || session.get(DONE) != null) {
            return;
        }
        session.put(DONE, Boolean.TRUE); // first: the lines below run through this listener too
        for (String line : lines()) {
            try {
                session.execute(line);
            } catch (Exception e) { // an older gogo.jline without complete: no completion, nothing else lost
                Log.debug(Log.Concern.RUNTIME, "console completion not added (" + line + "): " + e, e);
                return;
            }
        }
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Exception exception) {
    }

    @Override
    public void afterExecute(CommandSession session, CharSequence command, Object result) {
    }

    /** The command behind completion: candidates of one kind, as strings. */
    @Descriptor("candidates for the console's Tab completion: processes (pids and names), names, or modules")
    public List<String> completions(@Descriptor("processes, names or modules") String kind) {
        return switch (kind) {
            case "processes" -> {
                List<String> out = new ArrayList<>(names.all().keySet());
                List<Pid> pids = processes.pids();
                for (Pid p : pids.subList(0, Math.min(PIDS_OFFERED, pids.size()))) {
                    out.add(p.toString());
                }
                yield out;
            }
            case "names" -> new ArrayList<>(new TreeSet<>(names.all().keySet()));
            case "modules" -> code.modules().stream().map(ModuleInfo::name).sorted().toList();
            default -> throw new hotcode.runtime.api.HotcodeException(
                    "completions: unknown kind " + kind + "; use processes, names or modules");
        };
    }
}
