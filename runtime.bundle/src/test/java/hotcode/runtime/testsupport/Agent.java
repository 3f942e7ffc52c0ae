package hotcode.runtime.testsupport;

import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * A process the test drives: it runs the {@link Callable}s it is sent, in the process, and hands their results back to
 * the test thread. It only receives {@link Cmd} messages, so every other message stays in its mailbox until a command
 * receives it. Its code belongs to no module version (it has no frames).
 */
public final class Agent {
    /** A command message. */
    public record Cmd(Callable<?> body) {
    }

    private record Failure(Throwable error) {
    }

    private static final Object NULL = new Object();
    /** How long tests wait for anything that should happen (a generous bound; -Dhotcode.test.waitSeconds=N). */
    public static final long WAIT_SECONDS = Long.getLong("hotcode.test.waitSeconds", 20);

    private final BlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile Thread thread;
    private volatile Pid pid;

    private Agent() {
    }

    /** Spawns an agent from the calling thread. */
    public static Agent spawn() {
        Agent a = new Agent();
        a.pid = Hotcode.spawn(a.first());
        return a;
    }

    /** Spawns an agent linked to {@code parent} (spawnLink run by the parent). */
    public static Agent spawnLinked(Agent parent) {
        Agent a = new Agent();
        a.pid = parent.call(() -> Hotcode.spawnLink(a.first()));
        return a;
    }

    public Pid pid() {
        return pid;
    }

    private Next first() {
        return () -> {
            thread = Thread.currentThread();
            started.countDown();
            return step();
        };
    }

    private Next step() {
        return () -> {
            Cmd cmd = (Cmd) Hotcode.receive(Cmd.class);
            Object result;
            try {
                result = cmd.body().call();
            } catch (ExitException e) {
                throw e; // the process is exiting: no reply
            } catch (Throwable t) {
                result = new Failure(t);
            }
            replies.add(result == null ? NULL : result);
            return step();
        };
    }

    /** Runs {@code body} in the agent and returns its result; rethrows what it threw (wrapped if checked). */
    @SuppressWarnings("unchecked")
    public <T> T call(Callable<T> body) {
        Hotcode.send(pid, new Cmd(body));
        Object r = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        try {
            while (r == null && System.nanoTime() < deadline) {
                r = replies.poll(50, TimeUnit.MILLISECONDS);
                if (r == null && !Hotcode.isAlive(pid) && replies.isEmpty()) {
                    fail("agent " + pid + " exited instead of replying");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (r == null) {
            fail("agent " + pid + " did not reply within " + WAIT_SECONDS + " s");
        }
        if (r instanceof Failure f) {
            if (f.error() instanceof RuntimeException re) {
                throw re;
            }
            if (f.error() instanceof Error e) {
                throw e;
            }
            throw new RuntimeException(f.error());
        }
        return r == NULL ? null : (T) r;
    }

    /** Sends {@code body} to the agent without waiting for a reply (e.g. to make it exit). */
    public void cast(Callable<?> body) {
        Hotcode.send(pid, new Cmd(body));
    }

    /** Makes the agent exit with {@code reason}. */
    public void exitWith(Object reason) {
        cast(() -> {
            Hotcode.exit(reason);
            return null;
        });
    }

    /** The oldest message matching {@code patterns}, waiting up to the standard time; fails when none came. */
    public Object receive(Object... patterns) {
        Object m = call(() -> Hotcode.receive(Duration.ofSeconds(WAIT_SECONDS), patterns));
        assertNotNull("agent " + pid + " received nothing matching its patterns", m);
        return m;
    }

    /** The oldest message matching {@code patterns} already in the mailbox, or null (does not wait). */
    public Object poll(Object... patterns) {
        return call(() -> Hotcode.receive(Duration.ZERO, patterns));
    }

    /** Waits until the agent's thread has ended, i.e. its exit (links, monitors, dead letters) is fully done. */
    public void awaitTerminated() throws InterruptedException {
        assertTrue("agent " + pid + " never started", started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        thread.join(Duration.ofSeconds(WAIT_SECONDS));
        assertTrue("agent " + pid + " still running after " + WAIT_SECONDS + " s", !thread.isAlive());
    }
}
