package hotcode.runtime.api;

import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.ProcessAccess;

import java.time.Duration;
import java.util.List;

/**
 * The runtime, as module code sees it: Erlang's process primitives as static methods, meant for
 * {@code import static hotcode.runtime.api.Hotcode.*}.
 *
 * <p>Every blocking call ({@code receive}, {@code sleep}) and every runtime call of a process is also where an exit
 * signal reaches it: a process that has been killed throws {@link ExitException} from its next runtime call.
 */
public final class Hotcode {
    public static final Atom NORMAL = Atom.of("normal");
    public static final Atom KILL = Atom.of("kill");
    public static final Atom KILLED = Atom.of("killed");
    public static final Atom NOPROC = Atom.of("noproc");
    /** Tag of the monitor message {@code {'DOWN', Ref, process, Pid, Reason}}. */
    public static final Atom DOWN = Atom.of("DOWN");
    /** Tag of the trapped exit message {@code {'EXIT', Pid, Reason}}. */
    public static final Atom EXIT = Atom.of("EXIT");
    /** The wildcard pattern, Erlang's {@code _}. */
    public static final Object ANY = Terms.ANY;

    private Hotcode() {
    }

    // ------------------------------------------------------------------ terms

    public static Atom atom(String name) {
        return Atom.of(name);
    }

    public static Tuple tuple(Object... elements) {
        return Tuple.of(elements);
    }

    // ------------------------------------------------------------------ processes

    /** The calling process. Fails when called outside a process (e.g. from a plain thread). */
    public static Pid self() {
        return Access.current("self");
    }

    /** Erlang's {@code spawn(Module, Function, Args)}: the new process starts in the current version of the module. */
    public static Pid spawn(String module, String function, Object... args) {
        return Access.get().spawn(module, function, args, false);
    }

    /** Spawns a process running {@code body}, in the version of the code that made it (a local call). */
    public static Pid spawn(Next body) {
        return Access.get().spawn(body, false);
    }

    /** {@link #spawn(String, String, Object...)} and {@link #link} as one atomic step. */
    public static Pid spawnLink(String module, String function, Object... args) {
        return Access.get().spawn(module, function, args, true);
    }

    /** {@link #spawn(Next)} and {@link #link} as one atomic step. */
    public static Pid spawnLink(Next body) {
        return Access.get().spawn(body, true);
    }

    /**
     * Sends {@code message} to {@code to}; never blocks and never fails for a dead process (the message is counted as
     * a dead letter with reason {@code noproc}). Messages from one sender to one receiver arrive in the order sent.
     * Mailboxes are unbounded, as in Erlang: a sender faster than its receiver must pace itself (e.g. a window of
     * unacknowledged messages); an upgrade never stops a receiver, so it adds no backlog of its own.
     */
    public static void send(Pid to, Object message) {
        Access.get().send(to, message);
    }

    /** Sends to a registered name; fails naming the name when nothing is registered under it. */
    public static void send(String registeredName, Object message) {
        Access.get().send(registeredName, message);
    }

    /**
     * Selective receive: takes the oldest message matching any of {@code patterns} (see {@link Terms#matches}; no
     * pattern matches anything), waiting as long as it takes. Messages that do not match stay queued, in order.
     */
    public static Object receive(Object... patterns) {
        return Access.current("receive").receive(patterns, -1);
    }

    /**
     * The oldest message, whatever it is, waiting as long as it takes: {@link #receive(Object...)} with no pattern,
     * without the empty array the compiler would make for that call each time.
     *
     * @since 0.7.0
     */
    public static Object receive() {
        return Access.current("receive").receive(NO_PATTERNS, -1);
    }

    /**
     * {@link #receive(Object...)} with one pattern, the commonest receive: the same result, and no array made for it
     * (which a waiting process would keep alive as long as it waits).
     *
     * @since 0.7.0
     */
    public static Object receive(Object pattern) {
        return Access.current("receive").receive(one(pattern), -1);
    }

    /** Like {@link #receive(Object...)}, but returns {@code null} when nothing matched within {@code timeout}. */
    public static Object receive(Duration timeout, Object... patterns) {
        return Access.current("receive").receive(patterns, nanos(timeout));
    }

    /**
     * Any message, waiting at most {@code timeout}: {@code receive(timeout)} with no pattern. Without this overload
     * that call would pick {@link #receive(Object)} and wait forever for a message equal to the duration.
     *
     * @since 0.7.0
     */
    public static Object receive(Duration timeout) {
        return Access.current("receive").receive(NO_PATTERNS, nanos(timeout));
    }

    /**
     * {@link #receive(Duration, Object...)} with one pattern, without an array (see {@link #receive(Object)}).
     *
     * @since 0.7.0
     */
    public static Object receive(Duration timeout, Object pattern) {
        return Access.current("receive").receive(one(pattern), nanos(timeout));
    }

    private static final Object[] NO_PATTERNS = {};

    /** One pattern as the process's receive takes it: itself, unless it is an array, which would read as many. */
    private static Object one(Object pattern) {
        return pattern instanceof Object[] ? new Object[] {pattern} : pattern;
    }

    private static long nanos(Duration timeout) {
        try {
            return Math.max(0, timeout.toNanos());
        } catch (ArithmeticException e) {
            return -1; // longer than 292 years: as good as forever
        }
    }

    /** Erlang's {@code timer:sleep}: waits without touching the mailbox; an exit signal still ends it. */
    public static void sleep(long millis) {
        ProcessAccess p = Access.currentOrNull();
        if (p != null) {
            p.sleep(millis);
        } else {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Ends the calling process with {@code reason}. */
    public static void exit(Object reason) {
        throw new ExitException(reason);
    }

    /**
     * Sends an exit signal to {@code pid}: {@code kill} kills it unconditionally (reason {@code killed}); another
     * reason kills it unless it traps exits (then it gets {@code {'EXIT', From, Reason}}); {@code normal} is ignored
     * by a process that does not trap exits.
     */
    public static void exit(Pid pid, Object reason) {
        Access.get().exit(pid, reason);
    }

    /** Sets whether the calling process traps exits; returns the previous setting. */
    public static boolean trapExit(boolean trap) {
        return Access.current("trapExit").trapExit(trap);
    }

    /** Links the calling process and {@code pid}: when one exits abnormally, the other gets the exit signal. */
    public static void link(Pid pid) {
        Access.get().link(pid);
    }

    public static void unlink(Pid pid) {
        Access.get().unlink(pid);
    }

    /**
     * Monitors {@code pid}: when it exits, the caller gets {@code {'DOWN', Ref, process, Pid, Reason}} (at once, with
     * reason {@code noproc}, if it is already gone).
     */
    public static Ref monitor(Pid pid) {
        return Access.get().monitor(pid);
    }

    /** Removes a monitor; a DOWN message already delivered for it stays in the mailbox. */
    public static void demonitor(Ref ref) {
        Access.get().demonitor(ref);
    }

    /** Whether {@code pid} is a process that has not exited yet. */
    public static boolean isAlive(Pid pid) {
        return Access.get().isAlive(pid);
    }

    /** Every live process, in creation order. */
    public static List<Pid> processes() {
        return Access.get().pids();
    }

    // ------------------------------------------------------------------ names

    /**
     * Registers {@code pid} under {@code name} and publishes it as a {@link NamedProcess} OSGi service. Fails naming
     * the name and both pids when the name is taken, or when the process is gone or already has a name.
     */
    public static void register(String name, Pid pid) {
        Access.get().register(name, pid);
    }

    /** Removes a registered name; fails when nothing is registered under it. */
    public static void unregister(String name) {
        Access.get().unregister(name);
    }

    /**
     * This node's name, Erlang's {@code node()}: the cluster bundle's configured name, or {@code nonode@nohost} when
     * the runtime runs alone.
     *
     * @since 0.6.0
     */
    public static String node() {
        return Access.get().nodeName();
    }

    /**
     * The other nodes of the cluster now, Erlang's {@code nodes()}; empty when the runtime runs alone.
     *
     * @since 0.6.0
     */
    public static List<String> nodes() {
        return Access.get().nodes();
    }

    /**
     * Erlang's {@code monitor_node(Node, Flag)}: with {@code on}, the caller gets {@code {nodedown, Node}} when
     * {@code node} leaves the cluster (at once if it is not connected now), once per call; with {@code false}, one
     * such monitor is removed.
     *
     * @since 0.6.0
     */
    public static void monitorNode(String node, boolean on) {
        Access.get().monitorNode(node, on);
    }

    /** The process registered under {@code name}, or {@code null}. */
    public static Pid whereis(String name) {
        return Access.get().whereis(name);
    }

    // ------------------------------------------------------------------ code

    /**
     * A qualified call, Erlang's {@code module:function(Args)}: always enters the current version of {@code module}.
     * Raises {@link UndefException} when the module has no current version or lacks the function with that arity.
     */
    public static Object call(String module, String function, Object... args) {
        return Access.get().call(module, function, args);
    }

    public static CodeServer codeServer() {
        return Access.get().codeServer();
    }

    /** How many messages could not be delivered since the runtime started. */
    public static long deadLetterCount() {
        return Access.get().deadLetterCount();
    }

    /**
     * Calls {@code subscriber} with every dead letter from now on (on the thread that found the message
     * undeliverable: keep it short); close the result to stop.
     */
    public static AutoCloseable subscribeDeadLetters(java.util.function.Consumer<DeadLetter> subscriber) {
        return Access.get().subscribeDeadLetters(subscriber);
    }

    /** The most recent dead letters (a bounded window), oldest first. */
    public static List<DeadLetter> recentDeadLetters() {
        return Access.get().recentDeadLetters();
    }

    /**
     * What the system monitor finds now, oldest first: processes running without returning to the runtime, long
     * mailboxes, processes still running purged code (see {@link SystemAlert.Kind}). Each is also logged when it is
     * raised and when it clears; poll this to show them.
     */
    public static List<SystemAlert> systemAlerts() {
        return Access.get().systemAlerts();
    }
}
