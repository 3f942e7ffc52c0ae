package hotcode.runtime.impl.shell;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.Sys;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.ProcessTable;
import org.apache.felix.service.command.Descriptor;

/**
 * Console commands for servers and supervisors, scope {@code hotcode}: call and cast, the {@code sys} requests
 * (state, suspend, resume), and a supervisor's children. A server is named by its registered name or its pid.
 */
public final class ServerCommands {
    static final String[] FUNCTIONS = {"call", "cast", "state", "suspend", "resume", "children"};

    private final ProcessTable processes;
    private final Names names;

    public ServerCommands(ProcessTable processes, Names names) {
        this.processes = processes;
        this.names = names;
    }

    @Descriptor("call a server with a request written as an Erlang term; prints the reply (waits up to 5 s)")
    public String call(@Descriptor("registered name or pid (<0.N.0> quoted, or N)") String server,
                       @Descriptor("the request, e.g. get, '{put, a, 1}'") String request) {
        return Terms.format(GenServer.call(target(server), TermParser.parse(request, processes)));
    }

    @Descriptor("cast a message, written as an Erlang term, to a server")
    public String cast(@Descriptor("registered name or pid") String server, @Descriptor("the message") String message) {
        Object term = TermParser.parse(message, processes);
        GenServer.cast(target(server), term);
        return "cast " + Terms.format(term) + " to " + server;
    }

    @Descriptor("a server's state, read between two messages (sys:get_state)")
    public String state(@Descriptor("registered name or pid") String server) {
        return Terms.format(Sys.getState(target(server)));
    }

    @Descriptor("suspend a server: it serves no message until resumed; they wait in its mailbox, in order")
    public String suspend(@Descriptor("registered name or pid") String server) {
        Sys.suspend(target(server));
        return "suspended " + server;
    }

    @Descriptor("resume a suspended server")
    public String resume(@Descriptor("registered name or pid") String server) {
        Sys.resume(target(server));
        return "resumed " + server;
    }

    @Descriptor("a supervisor's children: id, pid, registered name, restarts")
    public Table children(@Descriptor("registered name or pid of the supervisor") String supervisor) {
        Table t = new Table("ID", "PID", "NAME", "RESTARTS");
        for (Supervisor.ChildInfo c : Supervisor.whichChildren(target(supervisor))) {
            t.row(c.id(), c.pid() == null ? "-" : c.pid(), c.name() == null ? "-" : c.name(), c.restarts());
        }
        return t;
    }

    private Object target(String server) {
        if (names.whereis(server) != null) {
            return server;
        }
        if (TermParser.isPid(server)) {
            return TermParser.pid(server, processes);
        }
        throw new HotcodeException("no process is registered as " + server + " (and it is not a pid)");
    }
}
