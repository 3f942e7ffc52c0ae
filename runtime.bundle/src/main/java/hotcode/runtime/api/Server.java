package hotcode.runtime.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The server behaviour, after Erlang's {@code gen_server}: a module author writes one plain class implementing it
 * (public, with a public no-argument constructor), and the runtime runs the loop: it receives each message, calls the
 * matching callback with the state, and keeps the state it returns. Start one with {@link GenServer#start}.
 *
 * <p>Callbacks run in the server's own process, one message at a time. Between two messages the server is at a
 * <em>safe point</em>: that is where it is suspended, its state migrated by {@link #codeChange}, and resumed on a new
 * version of its module when the module's bundle is updated (see {@link GenServer}). Messages that arrive meanwhile
 * wait in the mailbox, in order.
 *
 * <p>A callback that throws ends the server: {@link #terminate} is called with the exception as reason, the process
 * exits with it, and a caller waiting in {@link GenServer#call} gets a {@link CallException} naming it.
 *
 * @param <S> the state; each version of the module has its own state classes (see {@link #codeChange})
 */
@ConsumerType
public interface Server<S> {
    /** The initial state. {@code arg} is the argument of {@link GenServer#start}; throwing fails the start. */
    S init(Object arg) throws Exception;

    /**
     * A {@link GenServer#call}: answer with {@link Reply#reply}, or {@link Reply#noReply} and answer later with
     * {@link GenServer#reply}, or stop with {@link Reply#stop}.
     */
    Reply<S> handleCall(Object request, From from, S state) throws Exception;

    /**
     * A {@link GenServer#cast}. The default logs it as unexpected (naming module, pid and message) and keeps the
     * state: a cast nobody handles is reported, never a crash.
     */
    default S handleCast(Object message, S state) throws Exception {
        GenServer.unexpected("cast", message);
        return state;
    }

    /** Any other message (plain sends, monitor and trapped exit messages). The default logs it as unexpected. */
    default S handleInfo(Object message, S state) throws Exception {
        GenServer.unexpected("message", message);
        return state;
    }

    /** Called once when the server stops (a callback threw, {@link Reply#stop}, {@link GenServer#stop}). */
    default void terminate(Object reason, S state) {
    }

    /**
     * Migrates the state when the module's bundle is updated, Erlang's {@code code_change}. Called on a fresh instance
     * of the <em>new</em> version's class while the server is suspended at its safe point: for a server that was idle,
     * on a runtime thread (so an upgrade of 10,000 idle servers wakes none of them); for one that was busy, in its own
     * process when its callback returns. Either way it must compute the new state from the old one and nothing else:
     * no {@code receive}, no {@code self()}, no calls that wait on other processes. {@code oldState} is the state the
     * old version kept, of the old version's classes, which the new version cannot name: read it with
     * {@link Records} (records by component name, or a neutral form of maps and lists). Returning null, throwing,
     * raising an {@code Error}, or returning a state that still holds objects of the old version fails the
     * migration, and the whole module's upgrade is rolled back.
     *
     * <p>The default keeps the state as it is, which works when it holds only JDK types and this package's terms.
     *
     * @param oldVersion the bundle version of the old code, e.g. {@code "1.0.0"}
     * @param extra      null for an upgrade on {@code update}
     */
    default Object codeChange(String oldVersion, Object oldState, Object extra) throws Exception {
        return oldState;
    }
}
