package hotcode.runtime.api;

import hotcode.runtime.spi.Access;

import java.time.Duration;
import java.util.List;

/**
 * Supervisors, after Erlang's {@code supervisor}: a runtime process that starts children, links to them, and restarts
 * them when they exit, always on the <em>current</em> version of their module (a server child restarts on the current
 * version of its class, a worker child through a qualified spawn). A child with a registered name gets the same name
 * again. Restarts are limited: more than {@code intensity} restarts within {@code period} and the supervisor gives up,
 * stops its remaining children and exits with reason {@code shutdown}, as in Erlang. Restarts of children that a purge
 * killed (their code was dropped) do not count against the intensity: a purge is an operator's decision, not a crash
 * loop.
 */
public final class Supervisor {
    /** Which children restart when one exits. */
    public enum Strategy {
        /** Only the child that exited. */
        ONE_FOR_ONE,
        /** All children: the others are stopped (in reverse start order) and all are started again. */
        ONE_FOR_ALL,
        /** The child that exited and those started after it. */
        REST_FOR_ONE
    }

    /** When a child is restarted. */
    public enum Restart {
        /** Always. */
        PERMANENT,
        /** Only after an abnormal exit (a reason other than {@code normal} and {@code shutdown}). */
        TRANSIENT,
        /** Never. */
        TEMPORARY
    }

    /**
     * A child: a server ({@link #server}) or a worker process ({@link #worker}), with an id unique within its
     * supervisor, an optional registered name, a restart type, and how long it gets to stop on {@code shutdown}
     * before it is killed.
     */
    public record Child(String id, String name, Class<?> serverType, Object arg, String module, String function,
                        List<Object> args, Restart restart, Duration shutdown) {
        /** A permanent {@link Server} child, started with {@link GenServer#startLink(String, Class, Object)}. */
        public static Child server(String id, String name, Class<?> type, Object arg) {
            return new Child(id, name, type, arg, null, null, List.of(), Restart.PERMANENT, Duration.ofSeconds(5));
        }

        /** A permanent worker child, started with {@link Hotcode#spawnLink(String, String, Object...)}. */
        public static Child worker(String id, String name, String module, String function, Object... args) {
            return new Child(id, name, null, null, module, function, List.of(args), Restart.PERMANENT,
                    Duration.ofSeconds(5));
        }

        public Child withRestart(Restart r) {
            return new Child(id, name, serverType, arg, module, function, args, r, shutdown);
        }

        public Child withShutdown(Duration d) {
            return new Child(id, name, serverType, arg, module, function, args, restart, d);
        }
    }

    /** A running child as {@link #whichChildren} reports it; {@code pid} is null when it is not running. */
    public record ChildInfo(String id, Pid pid, String name, int restarts) {
    }

    private Supervisor() {
    }

    /**
     * Starts a supervisor (registered as {@code name} unless null) and its children, in order; fails, naming the child,
     * when a child cannot start (the children already started are stopped).
     */
    public static Pid start(String name, Strategy strategy, int intensity, Duration period, Child... children) {
        return Access.get().startSupervisor(name, strategy, intensity, period, List.of(children), false);
    }

    /** {@link #start}, linked to the calling process. */
    public static Pid startLink(String name, Strategy strategy, int intensity, Duration period, Child... children) {
        return Access.get().startSupervisor(name, strategy, intensity, period, List.of(children), true);
    }

    /** The supervisor's children, in start order. */
    public static List<ChildInfo> whichChildren(Object supervisor) {
        return Access.get().whichChildren(supervisor);
    }
}
