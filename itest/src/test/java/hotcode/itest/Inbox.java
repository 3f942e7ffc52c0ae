package hotcode.itest;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

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
 * A process owned by the test (spawned from a probe lambda, so it runs no module code and no purge or refresh can
 * touch it) that hands every message it receives to the JUnit thread, in arrival order. Module processes answer to
 * its pid; the test reads the answers with a timeout.
 */
public final class Inbox {
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Pid pid;

    private Inbox() {
        BlockingQueue<Object> q = queue;
        pid = Hotcode.spawn(() -> loop(q));
    }

    public static Inbox open() {
        return new Inbox();
    }

    private static Next loop(BlockingQueue<Object> q) {
        q.add(Hotcode.receive());
        return () -> loop(q);
    }

    public Pid pid() {
        return pid;
    }

    /** The next message; fails after {@link Itest#TIMEOUT_SECONDS}. */
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

    /** Nothing more arrives within {@code millis} (only for "no further message" checks, never for ordering). */
    public void assertNoMore(long millis) throws InterruptedException {
        Object m = queue.poll(millis, TimeUnit.MILLISECONDS);
        if (m != null) {
            fail("unexpected message in the test inbox: " + m);
        }
    }

    static Object poll(BlockingQueue<Object> q, String what) {
        try {
            Object m = q.poll(Itest.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("timed out after " + Itest.TIMEOUT_SECONDS + " s waiting for " + what);
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        }
    }

    // ------------------------------------------------------------------ watchers

    /** A process that monitors {@code target} (set up before this returns) and reports its DOWN message. */
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
            Tuple down = (Tuple) poll(queue, "{'DOWN', _, process, " + target + ", _}");
            assertEquals(5, down.size());
            assertTrue(down.isTagged(Hotcode.DOWN, 5));
            assertEquals(ref, down.get(1));
            assertEquals(atom("process"), down.get(2));
            assertEquals(target, down.get(3));
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
            assertEquals(atom("linked"), poll(queue, "the link to " + target));
        }

        public Pid pid() {
            return pid;
        }

        /** Waits for {@code {'EXIT', Pid, Reason}} and returns the reason. */
        public Object awaitExit() {
            Tuple exit = (Tuple) poll(queue, "{'EXIT', " + target + ", _}");
            assertTrue(exit.isTagged(Hotcode.EXIT, 3));
            assertEquals(target, exit.get(1));
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
