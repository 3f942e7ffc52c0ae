package hotcode.runtime.api;

import hotcode.runtime.spi.Access;

import java.time.Duration;

/**
 * The client side of the {@link Server} behaviour, Erlang's {@code gen_server} module: start servers, call and cast.
 * A server is named by its {@link Pid} or by its registered name (a {@code String}).
 *
 * <p><b>Upgrades.</b> A server runs the version of its module that was current when it started. When the module's
 * bundle is updated, every server of the module is suspended at its next safe point (between two messages), its state
 * migrated by the new version's {@link Server#codeChange}, and resumed on the new version; calls and messages that
 * arrive meanwhile wait in order, and a caller does not time out on an upgrade of ordinary length. If any migration
 * fails (throws, returns null, leaves objects of the old version, or passes the migration bound), the upgrade is
 * rolled back: every server stays on the old version with its old state, and the bundle is restored to its old
 * revision (see {@link MigrationException}).
 */
public final class GenServer {
    /** The default call timeout, as in Erlang: 5 seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private GenServer() {
    }

    // ------------------------------------------------------------------ start

    /**
     * Starts a server running {@code type} in the <em>current</em> version of the module that defines it (a class of
     * an old version names its class in the current one), and waits for its {@link Server#init}. Fails, naming the
     * module and class, when {@code type} is not a module's class, is not a usable server class, or {@code init} throws.
     */
    public static Pid start(Class<?> type, Object arg) {
        return Access.get().startServer(null, type, arg, false);
    }

    /** {@link #start(Class, Object)}, linked to the calling process. */
    public static Pid startLink(Class<?> type, Object arg) {
        return Access.get().startServer(null, type, arg, true);
    }

    /** {@link #start(Class, Object)}, registered as {@code name} before {@code init} runs. */
    public static Pid start(String name, Class<?> type, Object arg) {
        return Access.get().startServer(name, type, arg, false);
    }

    /** {@link #start(String, Class, Object)}, linked to the calling process. */
    public static Pid startLink(String name, Class<?> type, Object arg) {
        return Access.get().startServer(name, type, arg, true);
    }

    // ------------------------------------------------------------------ client

    /** {@link #call(Object, Object, Duration)} with the {@link #DEFAULT_TIMEOUT}. */
    public static Object call(Object server, Object request) {
        return call(server, request, DEFAULT_TIMEOUT);
    }

    /**
     * Sends {@code request} to the server and waits for its answer. Works from a process and from any other thread.
     * Throws {@link CallException} naming server, module, request and reason when the server is not alive, exits
     * while the caller waits, or does not answer within {@code timeout}; the request is then counted as a dead letter
     * if it was never served.
     */
    public static Object call(Object server, Object request, Duration timeout) {
        return Access.get().callServer(server, request, timeout);
    }

    /** Sends {@code message} to the server's {@link Server#handleCast}; never blocks, never fails for a dead server. */
    public static void cast(Object server, Object message) {
        Access.get().castServer(server, message);
    }

    /** Answers a call that {@link Server#handleCall} left with {@link Reply#noReply}. */
    public static void reply(From from, Object value) {
        Access.get().reply(from, value);
    }

    /** Stops the server with reason {@code normal} and waits for it to have terminated (up to the default timeout). */
    public static void stop(Object server) {
        Access.get().stopServer(server, Hotcode.NORMAL, DEFAULT_TIMEOUT);
    }

    // ------------------------------------------------------------------ for the behaviour's defaults

    /** Logs a message a server did not expect, naming its module, pid and the message ({@link Server}'s defaults). */
    static void unexpected(String kind, Object message) {
        Access.get().unexpected(kind, message);
    }
}
