package hotcode.runtime.impl.server;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.process.Proc;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * One call in flight: who waits (a process, or a plain thread through a future) and whether it still does. The state
 * decides races between a reply and the caller's timeout: exactly one of them wins, and a reply that loses is a dead
 * letter, never a stray message in the caller's mailbox.
 */
final class CallFrom implements From, Predicate<Object> {
    static final int WAITING = 0, ANSWERED = 1, GAVE_UP = 2;

    final Proc caller;
    final CompletableFuture<Object> future;
    final AtomicInteger state = new AtomicInteger(WAITING);

    CallFrom(Proc caller) {
        this.caller = caller;
        this.future = caller == null ? new CompletableFuture<>() : null;
    }

    @Override
    public Pid caller() {
        return caller;
    }

    @Override
    public boolean isWaiting() {
        return state.get() == WAITING;
    }

    /** The caller's receive pattern: this call's reply and nothing else. */
    @Override
    public boolean test(Object m) {
        return m instanceof Messages.CallReply r && r.from() == this;
    }

    @Override
    public String toString() {
        return "from(" + (caller == null ? Thread.currentThread().getName() : caller) + ")";
    }
}
