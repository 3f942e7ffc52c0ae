package hotcode.runtime.impl.server;

import hotcode.runtime.api.CallException;
import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Terms;
import hotcode.runtime.impl.process.Proc;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * The system-request protocol of servers, after Erlang's {@code sys} module: {@code suspend}, {@code resume},
 * {@code getState}, {@code replaceState} and {@code stop}. Each is a {@link SystemRequest} queued with the server,
 * whose process is woken by a system signal; the server serves it at its safe point (between two messages, or while
 * suspended: {@link ServerProcess}) and the requester waits, boundedly, for the answer. An upgrade's request goes the
 * same way, from {@link ServerUpgrades}.
 */
public final class SysRequests {
    private static final Duration SYS_TIMEOUT = Duration.ofSeconds(5);

    private final Servers servers;

    SysRequests(Servers servers) {
        this.servers = servers;
    }

    public void suspend(Object server) {
        sys(target(server, "suspend"), SystemRequest.of(SystemRequest.Kind.SUSPEND), "suspend");
    }

    public void resume(Object server) {
        sys(target(server, "resume"), SystemRequest.of(SystemRequest.Kind.RESUME), "resume");
    }

    public Object getState(Object server) {
        return sys(target(server, "getState"), SystemRequest.of(SystemRequest.Kind.GET_STATE), "getState");
    }

    public Object replaceState(Object server, UnaryOperator<Object> f) {
        if (f == null) {
            throw new HotcodeException("replaceState: the function must not be null");
        }
        return sys(target(server, "replaceState"), SystemRequest.replace(f), "replaceState");
    }

    /** Stops the server with {@code reason} (its terminate runs), then waits up to {@code timeout} for it to exit. */
    public void stop(Object server, Object reason, Duration timeout) {
        ServerProcess sp = target(server, "stop");
        sys(sp, SystemRequest.stop(reason), "stop");
        try {
            sp.proc().awaitExit(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ServerProcess target(Object server, String op) {
        Supplier<String> what = () -> op;
        return Servers.serverOf(servers.resolve(server, what), what);
    }

    private Object sys(ServerProcess sp, SystemRequest r, String op) {
        if (sp.proc() == Proc.currentOrNull()) {
            throw new HotcodeException(op + ": " + sp.describe() + " cannot send a system request to itself");
        }
        if (!sp.proc().isAlive()) {
            throw new CallException(op + " of " + sp.describe() + " failed: noproc (it exited with "
                    + Terms.format(sp.proc().exitReason()) + ")", sp.proc(), NOPROC);
        }
        sp.request(r);
        try {
            return r.get(SYS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new CallException(op + " of " + sp.describe() + " failed: timeout (it did not reach a safe point within "
                    + SYS_TIMEOUT.toMillis() + " ms; it may be busy in a callback)", sp.proc(), ServerCalls.TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CallException(op + " of " + sp.describe() + " failed: interrupted", sp.proc(), ServerCalls.TIMEOUT);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof ExitException x) {
                throw new CallException(op + " of " + sp.describe() + " failed: it exited with " + Terms.format(x.reason()),
                        sp.proc(), x.reason());
            }
            throw new HotcodeException(op + " of " + sp.describe() + " failed: " + c, c);
        }
    }
}
