package hotcode.runtime.spi;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Supervisor;
import hotcode.runtime.api.SystemAlert;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What the API's static facades ({@code Hotcode}, {@code GenServer}, {@code Sys}, {@code Supervisor}, qualified tail
 * calls) ask of the running runtime: exactly their operations and nothing else, so that the exported package names no
 * class of the implementation. The runtime installs its implementation with {@link Access#install} when it starts.
 * Operations "of the caller" act for the calling process and fail, naming the operation, on a thread that is not one.
 */
public interface RuntimeAccess {
    // ------------------------------------------------------------------ processes

    /** {@code spawn(module, function, args)}, linked to the caller when {@code link}. */
    Pid spawn(String module, String function, Object[] args, boolean link);

    /** {@code spawn(body)}, in the version of the code that made {@code body}, linked to the caller when {@code link}. */
    Pid spawn(Next body, boolean link);

    void send(Pid to, Object message);

    void send(String registeredName, Object message);

    void exit(Pid pid, Object reason);

    /** Links the caller and {@code pid}. */
    void link(Pid pid);

    void unlink(Pid pid);

    /** Monitors {@code pid} from the caller. */
    Ref monitor(Pid pid);

    void demonitor(Ref ref);

    boolean isAlive(Pid pid);

    /** Every live process, in creation order. */
    List<Pid> pids();

    void register(String name, Pid pid);

    void unregister(String name);

    Pid whereis(String name);

    // ------------------------------------------------------------------ nodes

    /** This node's name; {@code nonode@nohost} without a cluster. */
    String nodeName();

    /** The other nodes of the cluster. */
    List<String> nodes();

    /** Erlang's {@code monitor_node(Node, Flag)} for the caller. */
    void monitorNode(String node, boolean on);

    boolean registerGlobal(String name, Pid pid);

    void unregisterGlobal(String name);

    Pid whereisGlobal(String name);

    // ------------------------------------------------------------------ code

    /** A qualified call: enters the current version of {@code module}. */
    Object call(String module, String function, Object[] args);

    /** A qualified tail call; {@code step} is the step the trampoline is running (the call itself). */
    Next tailCall(Next step, String module, String function, Object[] args);

    CodeServer codeServer();

    // ------------------------------------------------------------------ dead letters, system monitor

    long deadLetterCount();

    AutoCloseable subscribeDeadLetters(Consumer<DeadLetter> subscriber);

    List<DeadLetter> recentDeadLetters();

    List<SystemAlert> systemAlerts();

    /** What an observer (the Web Console page) reads beyond the API; costs nothing until asked. */
    Observation observation();

    // ------------------------------------------------------------------ servers (GenServer, Sys)

    /** Starts a server of {@code type} (registered as {@code name} unless null), linked to the caller when {@code link}. */
    Pid startServer(String name, Class<?> type, Object arg, boolean link);

    Object callServer(Object server, Object request, Duration timeout);

    void castServer(Object server, Object message);

    void reply(From from, Object value);

    void stopServer(Object server, Object reason, Duration timeout);

    /** Logs a message the calling server did not expect ({@code Server}'s default callbacks). */
    void unexpected(String kind, Object message);

    void suspend(Object server);

    void resume(Object server);

    Object getState(Object server);

    Object replaceState(Object server, UnaryOperator<Object> f);

    // ------------------------------------------------------------------ supervisors

    Pid startSupervisor(String name, Supervisor.Strategy strategy, int intensity, Duration period,
                        List<Supervisor.Child> children, boolean link);

    List<Supervisor.ChildInfo> whichChildren(Object supervisor);
}
