package hotcode.testing;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;

/**
 * Collects a process's messages for the test: a process owned by the test (spawned from a lambda of the test, so it
 * runs no module code and no purge or refresh can touch it) that hands every message it receives to the test's
 * thread, in arrival order. Module processes answer to its {@link #pid()}; the test reads the answers with a timeout
 * ({@link Await#timeoutSeconds()}). Called from test methods, inside the framework.
 *
 * <pre>
 * Inbox inbox = Inbox.open();
 * Hotcode.send(worker, tuple(atom("ping"), inbox.pid()));
 * assertEquals(atom("pong"), inbox.next());
 * </pre>
 *
 * {@link Monitor} and {@link Linked} watch a process die ({@code DOWN} and {@code EXIT} messages).
 */
public final class Inbox {
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Pid pid;

    private Inbox() {
        BlockingQueue<Object> q = queue;
        pid = Hotcode.spawn(() -> loop(q));
    }

    /** Spawns the inbox's process. */
    public static Inbox open() {
        return new Inbox();
    }

    private static Next loop(BlockingQueue<Object> q) {
        q.add(Hotcode.receive());
        return () -> loop(q);
    }

    /** The pid to send to. */
    public Pid pid() {
        return pid;
    }

    /** The next message; fails after {@link Await#timeoutSeconds()}. */
    public Object next() {
        return poll(queue, "a message for the test inbox " + pid);
    }

    /** The next message, which must be a tuple {@code {tag, ...}} of {@code size} elements. */
    public Tuple next(String tag, int size) {
        Object m = next();
        if (!(m instanceof Tuple t) || !t.isTagged(atom(tag), size)) {
            throw new AssertionError("expected a {" + tag + ", ...} tuple of size " + size + ", got " + m);
        }
        return t;
    }

    /** Sends {@code {tag, Inbox}} to {@code to} and returns the second element of the {@code {tag, Value}} answer. */
    public Object ask(Pid to, String tag) {
        Hotcode.send(to, tuple(atom(tag), pid));
        return next(tag, 2).get(1);
    }

    /** The next {@code n} messages, in arrival order; fails if one of them does not come in time. */
    public List<Object> next(int n) {
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(poll(queue, "message " + (i + 1) + " of " + n + " for the test inbox " + pid + " (got " + out + ")"));
        }
        return out;
    }

    /**
     * Nothing more arrives within {@code millis}: only for "no further message" checks (a message that would come
     * later is not seen), never to wait for something.
     */
    public void assertNoMore(long millis) throws InterruptedException {
        Object m = queue.poll(millis, TimeUnit.MILLISECONDS);
        if (m != null) {
            throw new AssertionError("unexpected message in the test inbox " + pid + ": " + m);
        }
    }

    static Object poll(BlockingQueue<Object> q, String what) {
        long timeout = Await.timeoutSeconds();
        try {
            Object m = q.poll(timeout, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("timed out after " + timeout + " s waiting for " + what);
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }

    // ------------------------------------------------------------------ watchers

    /**
     * A process that monitors {@code target} (set up before the constructor returns) and reports its {@code DOWN}
     * message: how a test sees why a process exited (e.g. {@code killed} by a purge).
     */
    public static final class Monitor {
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final Pid target;
        private final Ref ref;

        public Monitor(Pid target) {
            this.target = target;
            BlockingQueue<Object> q = queue;
            Hotcode.spawn(() -> {
                Ref r = Hotcode.monitor(target);
                q.add(r);
                q.add(Hotcode.receive(tuple(Hotcode.DOWN, r, Hotcode.ANY, Hotcode.ANY, Hotcode.ANY)));
                return Next.done();
            });
            ref = (Ref) poll(queue, "the monitor of " + target + " to be set up");
        }

        /** Waits for {@code {'DOWN', Ref, process, Pid, Reason}}, checks it, and returns the reason. */
        public Object awaitDown() {
            Object m = poll(queue, "{'DOWN', _, process, " + target + ", _}");
            // the receive pattern took only {'DOWN', _, _, _, _}: check the rest
            if (!(m instanceof Tuple down) || !down.isTagged(Hotcode.DOWN, 5) || !ref.equals(down.get(1))
                    || !atom("process").equals(down.get(2)) || !target.equals(down.get(3))) {
                throw new AssertionError("expected {'DOWN', " + ref + ", process, " + target + ", _}, got " + m);
            }
            return down.get(4);
        }
    }

    /** A process that traps exits and links to {@code target} (linked before this returns). */
    public static final class Linked {
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final Pid target;
        private final Pid pid;

        public Linked(Pid target) {
            this.target = target;
            BlockingQueue<Object> q = queue;
            pid = Hotcode.spawn(() -> {
                Hotcode.trapExit(true);
                Hotcode.link(target);
                q.add(atom("linked"));
                q.add(Hotcode.receive(tuple(Hotcode.EXIT, target, Hotcode.ANY)));
                return Next.done();
            });
            Object linked = poll(queue, "the link to " + target);
            if (!atom("linked").equals(linked)) {
                throw new AssertionError("expected linked, got " + linked);
            }
        }

        /** The linked process's pid. */
        public Pid pid() {
            return pid;
        }

        /** Waits for {@code {'EXIT', Pid, Reason}} and returns the reason. */
        public Object awaitExit() {
            Object m = poll(queue, "{'EXIT', " + target + ", _}");
            if (!(m instanceof Tuple exit) || !exit.isTagged(Hotcode.EXIT, 3) || !target.equals(exit.get(1))) {
                throw new AssertionError("expected {'EXIT', " + target + ", _}, got " + m);
            }
            return exit.get(2);
        }
    }

    /** All messages received so far, without waiting (for diagnostics). */
    public List<Object> drain() {
        List<Object> out = new ArrayList<>();
        queue.drainTo(out);
        return out;
    }
}
