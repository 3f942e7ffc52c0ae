package hotcode.runtime.api;

import hotcode.runtime.spi.Access;

import java.util.function.UnaryOperator;

/**
 * Erlang's {@code sys} for {@link Server}s: system requests, which a server handles between two messages and also
 * while suspended. A suspended server serves no ordinary message and no call; they wait in its mailbox, in order,
 * until {@link #resume}. Each request waits up to {@link GenServer#DEFAULT_TIMEOUT} and fails with a
 * {@link CallException} naming the server otherwise.
 */
public final class Sys {
    private Sys() {
    }

    /** Suspends the server at its next safe point; returns once it is suspended. */
    public static void suspend(Object server) {
        Access.get().suspend(server);
    }

    /** Resumes a suspended server; a server that is not suspended is left alone. */
    public static void resume(Object server) {
        Access.get().resume(server);
    }

    /** The server's state (of its version's classes), read at a safe point. */
    public static Object getState(Object server) {
        return Access.get().getState(server);
    }

    /** Replaces the server's state with {@code f(state)} at a safe point, in its process; returns the new state. */
    public static Object replaceState(Object server, UnaryOperator<Object> f) {
        return Access.get().replaceState(server, f);
    }
}
