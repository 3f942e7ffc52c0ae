package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Supervisor.Child;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.Proc;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A supervisor, after supervisor.erl: a runtime server (never upgraded, it runs no module code) that traps exits,
 * starts its children linked to it, and restarts them by strategy when they exit.
 */
final class SupervisorServer implements Server<Object> {
    static final Atom WHICH_CHILDREN = Atom.of("which_children");
    private static final Atom SHUTDOWN = Atom.of("shutdown");

    /** A child and its current process. */
    private static final class Running {
        /** The child's spec without its server class: holding the class would keep its version's loader for ever. */
        final Child spec;
        /** A server child's module and class name: its restarts go by name, to the module's current version. */
        final String module;
        final String className;
        Pid pid;
        int restarts;

        Running(Child spec, String module, String className) {
            this.spec = spec;
            this.module = module;
            this.className = className;
        }
    }

    private final Supervisor.Strategy strategy;
    private final int intensity;
    private final long periodNanos;
    private final List<Running> children = new ArrayList<>();
    /** When the restarts within the period happened (purge kills excluded). */
    private final ArrayDeque<Long> restarts = new ArrayDeque<>();

    /** The process that started this supervisor with startLink, or null. */
    private final Pid parent;
    /** Starts and restarts the server children: the runtime this supervisor runs in. */
    private final Servers servers;

    SupervisorServer(Servers servers, Supervisor.Strategy strategy, int intensity, Duration period, List<Child> specs,
                     Pid parent) {
        this.servers = servers;
        this.parent = parent;
        this.strategy = strategy;
        this.intensity = intensity;
        this.periodNanos = period.toNanos();
        for (Child c : specs) {
            if (c.serverType() == null) {
                children.add(new Running(c, null, null));
            } else {
                String module = servers.moduleOf(c.serverType(), "supervisor child " + c.id());
                children.add(new Running(new Child(c.id(), c.name(), null, c.arg(), null, null, c.args(), c.restart(),
                        c.shutdown()), module, c.serverType().getName()));
            }
        }
    }

    // ------------------------------------------------------------------ callbacks

    @Override
    public Object init(Object arg) {
        Hotcode.trapExit(true);
        for (int i = 0; i < children.size(); i++) {
            try {
                startChild(children.get(i));
            } catch (RuntimeException e) {
                stopChildren(0, i);
                throw new HotcodeException("supervisor " + Hotcode.self() + ": child " + children.get(i).spec.id()
                        + " failed to start: " + e.getMessage(), e);
            }
        }
        return this;
    }

    @Override
    public Reply<Object> handleCall(Object request, From from, Object state) {
        if (request == WHICH_CHILDREN) {
            List<Supervisor.ChildInfo> out = new ArrayList<>();
            for (Running r : children) {
                out.add(new Supervisor.ChildInfo(r.spec.id(), r.pid, r.spec.name(), r.restarts));
            }
            return Reply.reply(List.copyOf(out), state);
        }
        return Reply.reply(Tuple.of(Atom.of("error"), Atom.of("unknown_request"), request), state);
    }

    @Override
    public Object handleInfo(Object message, Object state) {
        if (message instanceof Tuple t && t.size() == 3 && t.get(0) == Hotcode.EXIT && t.get(1) instanceof Pid pid) {
            childExited(pid, t.get(2));
        } else {
            Log.warn("supervisor " + Hotcode.self() + " ignored an unexpected message " + Terms.format(message));
        }
        return state;
    }

    @Override
    public void terminate(Object reason, Object state) {
        stopChildren(0, children.size());
    }

    // ------------------------------------------------------------------ internals

    private void childExited(Pid pid, Object reason) {
        int i = indexOf(pid);
        if (i < 0) {
            if (pid.equals(parent)) {
                Hotcode.exit(reason); // the parent exited: stop the children (terminate) and exit with its reason
            }
            if (reason != Hotcode.NORMAL) {
                Log.info("supervisor " + Hotcode.self() + " ignored the exit of " + pid + ", not one of its children ("
                        + Terms.format(reason) + ")");
            }
            return;
        }
        Running r = children.get(i);
        r.pid = null;
        boolean abnormal = reason != Hotcode.NORMAL && reason != SHUTDOWN;
        boolean restart = switch (r.spec.restart()) {
            case PERMANENT -> true;
            case TRANSIENT -> abnormal;
            case TEMPORARY -> false;
        };
        if (!restart) {
            return;
        }
        boolean purged = pid instanceof Proc p && p.killedByPurge();
        Log.info("supervisor " + Hotcode.self() + ": child " + r.spec.id() + " " + pid + " exited with "
                + Terms.format(reason) + (purged ? " (its code was purged)" : "") + "; restarting "
                + (strategy == Supervisor.Strategy.ONE_FOR_ONE ? "it" : strategy == Supervisor.Strategy.ONE_FOR_ALL
                ? "all children" : "it and the children after it") + " on the current version");
        if (!purged) {
            countRestart(r);
        }
        int from = strategy == Supervisor.Strategy.ONE_FOR_ALL ? 0 : i;
        if (strategy != Supervisor.Strategy.ONE_FOR_ONE) {
            stopChildren(from, children.size());
        }
        for (int j = from; j < children.size(); j++) {
            Running c = children.get(j);
            if (j == i || strategy != Supervisor.Strategy.ONE_FOR_ONE) {
                restartChild(c);
            }
        }
    }

    private void restartChild(Running c) {
        for (;;) {
            try {
                c.restarts++;
                startChild(c);
                return;
            } catch (RuntimeException e) {
                Log.error("supervisor " + Hotcode.self() + ": child " + c.spec.id() + " failed to restart: "
                        + e.getMessage(), e);
                countRestart(c);
            }
        }
    }

    /** One more restart within the period; more than the intensity allows and the supervisor gives up. */
    private void countRestart(Running r) {
        long now = System.nanoTime();
        restarts.addLast(now);
        while (!restarts.isEmpty() && now - restarts.peekFirst() > periodNanos) {
            restarts.removeFirst();
        }
        if (restarts.size() > intensity) {
            Log.error("supervisor " + Hotcode.self() + ": reached the restart intensity (" + intensity + " in "
                    + Duration.ofNanos(periodNanos) + ") at child " + r.spec.id()
                    + "; stopping all children and shutting down", null);
            stopChildren(0, children.size());
            Hotcode.exit(SHUTDOWN);
        }
    }

    private void startChild(Running r) {
        Child s = r.spec;
        if (r.className != null) {
            r.pid = servers.start(s.name(), r.module, r.className, s.arg(), true);
            return;
        }
        Pid pid = Hotcode.spawnLink(s.module(), s.function(), s.args().toArray());
        if (s.name() != null) {
            try {
                Hotcode.register(s.name(), pid);
            } catch (RuntimeException e) {
                Hotcode.unlink(pid);
                Hotcode.exit(pid, Hotcode.KILL);
                throw e;
            }
        }
        r.pid = pid;
    }

    /** Stops children {@code from..to-1}, last started first: shutdown, then kill after the child's shutdown time. */
    private void stopChildren(int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            Running r = children.get(i);
            Pid pid = r.pid;
            if (pid == null) {
                continue;
            }
            r.pid = null;
            Tuple exit = Tuple.of(Hotcode.EXIT, pid, Terms.ANY);
            Hotcode.exit(pid, SHUTDOWN);
            if (Hotcode.receive(r.spec.shutdown(), exit) == null) {
                Hotcode.exit(pid, Hotcode.KILL);
                Hotcode.receive(Duration.ofSeconds(5), exit);
            }
        }
    }

    private int indexOf(Pid pid) {
        for (int i = 0; i < children.size(); i++) {
            if (pid.equals(children.get(i).pid)) {
                return i;
            }
        }
        return -1;
    }
}
