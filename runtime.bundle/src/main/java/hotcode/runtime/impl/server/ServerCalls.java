package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.CallException;
import hotcode.runtime.api.From;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.process.DeadLetterOffice;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import static hotcode.runtime.api.Hotcode.DOWN;
import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * The client protocol of servers, after gen_server's: {@code call} (a request in the server's mailbox, the reply in
 * the caller's, matched by its {@link CallFrom}; a monitor sees the server die), {@code cast} (a message, never a
 * failure), and the server's side, {@code reply} (or a refusal). A reply that loses the race against the caller's
 * timeout is a dead letter. Also the report of a cast or message no callback handles.
 */
public final class ServerCalls {
    static final Atom TIMEOUT = Atom.of("timeout");

    private final Servers servers;
    private final ProcessTable processes;
    private final Names names;
    private final DeadLetterOffice deadLetters;

    ServerCalls(Servers servers, ProcessTable processes, Names names, DeadLetterOffice deadLetters) {
        this.servers = servers;
        this.processes = processes;
        this.names = names;
        this.deadLetters = deadLetters;
    }

    public Object call(Object server, Object request, Duration timeout) {
        if (request == null) {
            throw new HotcodeException("call: null is not a request");
        }
        // The errors name the call and its request; formatting them is done only for an error (see Servers.resolve).
        Supplier<String> call = () -> "call " + Terms.format(request);
        Proc target = servers.resolve(server, call);
        ServerProcess sp = Servers.serverOf(target, call);
        if (!target.isAlive()) {
            deadLetters.record(target, request, NOPROC, Proc.currentOrNull());
            throw new CallException(what(request, sp) + " failed: noproc (it exited with "
                    + Terms.format(target.exitReason())
                    + "; the request is counted as a dead letter)", target, NOPROC);
        }
        Proc caller = Proc.currentOrNull();
        if (caller == target) {
            throw new HotcodeException(what(request, sp)
                    + ": a server cannot call itself (it would wait for its own reply)");
        }
        CallFrom from = new CallFrom(caller);
        long timeoutNanos = timeout.toNanos();
        return caller != null ? callFromProcess(caller, target, sp, request, from, timeoutNanos)
                : callFromThread(target, sp, request, from, timeoutNanos);
    }

    /**
     * "call {get, x} to server CounterServer of counter 1.0.0 <0.42.0>": how a failed call's error begins. Made when
     * the call fails, so it shows the request and the server's version as they are then.
     */
    private static String what(Object request, ServerProcess sp) {
        return "call " + Terms.format(request) + " to " + sp.describe();
    }

    private Object callFromProcess(Proc caller, Proc target, ServerProcess sp, Object request, CallFrom from,
                                   long nanos) {
        Ref mref = processes.monitor(caller, target);
        processes.send(target, new Messages.Call(request, from));
        Tuple down = Tuple.of(DOWN, mref, Terms.ANY, Terms.ANY, Terms.ANY);
        Object m = caller.receive(new Object[] {from, down}, nanos);
        if (m == null) {
            if (from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP)) {
                processes.demonitor(caller, mref);
                flush(caller, down);
                throw new CallException(what(request, sp) + " failed: timeout (no reply within " + nanos / 1_000_000
                        + " ms)", target, TIMEOUT);
            }
            m = caller.receive(from, -1); // answered just now: the reply is in the mailbox or on its way
        }
        processes.demonitor(caller, mref);
        if (m instanceof Messages.CallReply r) {
            flush(caller, down);
            return answer(r, request, sp, target);
        }
        from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP);
        Object reason = ((Tuple) m).get(4);
        throw new CallException(what(request, sp) + " failed: the server exited with " + Terms.format(reason), target,
                reason);
    }

    private Object callFromThread(Proc target, ServerProcess sp, Object request, CallFrom from, long nanos) {
        processes.send(target, new Messages.Call(request, from));
        long deadline = System.nanoTime() + nanos;
        for (;;) {
            try {
                long left = deadline - System.nanoTime();
                Object r = from.future.get(Math.max(0, Math.min(left, 20_000_000L)), TimeUnit.NANOSECONDS);
                return answer((Messages.CallReply) r, request, sp, target);
            } catch (TimeoutException e) {
                boolean dead = !target.isAlive();
                if ((dead || System.nanoTime() >= deadline)
                        && from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP)) {
                    Object reason = dead ? target.exitReason() : TIMEOUT;
                    throw new CallException(what(request, sp) + " failed: "
                            + (dead ? "the server exited with " + Terms.format(reason)
                            : "timeout (no reply within " + nanos / 1_000_000 + " ms)"), target, reason);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                from.state.compareAndSet(CallFrom.WAITING, CallFrom.GAVE_UP);
                throw new CallException(what(request, sp) + " failed: interrupted", target, TIMEOUT);
            } catch (ExecutionException e) {
                throw new HotcodeException(what(request, sp) + " failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private static Object answer(Messages.CallReply r, Object request, ServerProcess sp, Proc target) {
        if (r.error() != null) {
            throw new CallException(what(request, sp) + " failed: " + r.error().getMessage(), target,
                    ServerProcess.INCOMPATIBLE);
        }
        return r.value();
    }

    /** Drops a DOWN of a monitor just removed, so no stray DOWN reaches the caller's mailbox later. */
    private static void flush(Proc caller, Tuple down) {
        caller.receive(down, 0);
    }

    public void cast(Object server, Object message) {
        if (message == null) {
            throw new HotcodeException("cast: null is not a message");
        }
        if (server instanceof String n && names.whereis(n) == null) {
            deadLetters.record(null, message, NOPROC);
            return; // as in Erlang, a cast never fails; it is counted
        }
        Supplier<String> cast = () -> "cast " + Terms.format(message);
        Proc target = servers.resolve(server, cast);
        Servers.serverOf(target, cast);
        processes.send(target, new Messages.Cast(message));
    }

    // ------------------------------------------------------------------ the server's side

    public void reply(From from, Object value) {
        if (!(from instanceof CallFrom f)) {
            throw new HotcodeException("reply: " + from + " is not the From of a call");
        }
        reply(f, value, null);
    }

    void reply(CallFrom f, Object value) {
        reply(f, value, null);
    }

    /** Answers the call with a refusal: the caller's call throws it ({@code incompatible}). */
    void fail(CallFrom f, HotcodeException error) {
        reply(f, null, error);
    }

    private void reply(CallFrom f, Object value, HotcodeException error) {
        if (!f.state.compareAndSet(CallFrom.WAITING, CallFrom.ANSWERED)) {
            if (f.state.get() == CallFrom.ANSWERED) {
                throw new HotcodeException("reply: the call from " + f.caller() + " was already answered");
            }
            deadLetters.record(f.caller, value, TIMEOUT); // the caller gave up: a late reply, counted
            return;
        }
        Messages.CallReply r = new Messages.CallReply(f, value, error);
        if (f.caller != null) {
            processes.send(f.caller, r);
        } else {
            f.future.complete(r);
        }
    }

    /** A server's default handleCast/handleInfo met a message it does not handle. */
    public void unexpected(String kind, Object message) {
        Proc p = Proc.current("GenServer.unexpected");
        if (p.behaviour() instanceof ServerProcess sp) {
            sp.unexpected(kind, message);
        } else {
            Log.warn("process " + p + " got an unexpected " + kind + " " + Terms.format(message));
        }
    }
}
