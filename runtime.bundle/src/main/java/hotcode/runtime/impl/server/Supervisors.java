package hotcode.runtime.impl.server;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Supervisor;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@link Supervisor}'s runtime side: checks the specification and starts a {@link SupervisorServer}. */
public final class Supervisors {
    private final Servers servers;

    public Supervisors(Servers servers) {
        this.servers = servers;
    }

    public Pid start(String name, Supervisor.Strategy strategy, int intensity, Duration period,
                     List<Supervisor.Child> children, boolean link) {
        String who = "supervisor" + (name == null ? "" : " " + name);
        if (strategy == null) {
            throw new HotcodeException(who + ": the strategy must not be null");
        }
        if (intensity < 0 || period == null || period.isNegative() || period.isZero()) {
            throw new HotcodeException(who + ": restart intensity must be >= 0 and the period positive (got "
                    + intensity + " in " + period + ")");
        }
        Set<String> ids = new HashSet<>();
        for (Supervisor.Child c : children) {
            if (c == null || c.id() == null || !ids.add(c.id())) {
                throw new HotcodeException(who + ": every child needs an id, unique within the supervisor ("
                        + (c == null ? "null child" : "id " + c.id()) + ")");
            }
            if ((c.serverType() == null) == (c.module() == null || c.function() == null)) {
                throw new HotcodeException(who + ": child " + c.id() + " must be either a server (a class) or a worker "
                        + "(module and function); use Child.server or Child.worker");
            }
            if (c.restart() == null || c.shutdown() == null) {
                throw new HotcodeException(who + ": child " + c.id() + " needs a restart type and a shutdown time");
            }
        }
        hotcode.runtime.impl.process.Proc parent = link ? hotcode.runtime.impl.process.Proc.current("Supervisor.startLink") : null;
        return servers.startRuntimeServer(name,
                new SupervisorServer(servers, strategy, intensity, period, children, parent), null, link);
    }

    @SuppressWarnings("unchecked")
    public List<Supervisor.ChildInfo> whichChildren(Object supervisor) {
        Object r = servers.calls().call(supervisor, SupervisorServer.WHICH_CHILDREN, Duration.ofSeconds(5));
        if (!(r instanceof List<?>)) {
            throw new HotcodeException("whichChildren: " + supervisor + " is not a supervisor (it answered " + r + ")");
        }
        return (List<Supervisor.ChildInfo>) r;
    }
}
