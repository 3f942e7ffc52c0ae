package hotcode.runtime.testmod;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.call;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.spawn;

/**
 * Version 2 of the test module {@code m}. Loaded by {@link hotcode.runtime.testsupport.Modules} in a class loader of
 * its own (as a bundle revision would be), so each load is a distinct version with its own classes. Qualified calls
 * name the module {@code m}: load this class under that name when using them.
 */
public final class ModV2 {
    private ModV2() {
    }

    /** A class of this version: a value of it may not be passed to another version of the module. */
    public static final class Token {
    }

    public static String version() {
        return "v2";
    }

    /** A process loop driven by string commands; replies go to {@code out}. */
    public static Next loop(BlockingQueue<Object> out) {
        Object msg = receive();
        switch (String.valueOf(msg)) {
            case "local" -> out.add(version());                       // a local call: stays in this version
            case "qualified" -> out.add(call("m", "version"));        // a qualified call: the current version
            case "upgrade" -> {
                out.add("upgrading");
                return Next.call("m", "loop", out);                   // a qualified tail call: re-enters
            }
            case "park" -> {
                out.add("parked");
                receive(atom("never"));                               // leaves every other message queued
            }
            case "cross" -> {
                try {
                    out.add(call("m", "accept", new Token()));
                } catch (HotcodeException e) {
                    out.add(e);
                }
            }
            case "spawnchild" -> out.add(spawn(() -> {                // a fun spawned from this version's code
                receive();
                return Next.done();
            }));
            case "badstep" -> {
                return Next.call("m", "version");                     // not a process step
            }
            case "stop" -> {
                out.add("stopping");
                return Next.done();
            }
            default -> out.add("unknown " + msg);
        }
        return () -> loop(out);                                       // a local tail call
    }

    /** {@code n} local tail calls; records the stack depth at the first and at the last lambda step. */
    public static Next localTail(int n, int total, BlockingQueue<Object> out) {
        if (n == total - 1 || n == 0) {
            out.add(depth());
        }
        if (n == 0) {
            return Next.done();
        }
        return () -> localTail(n - 1, total, out);
    }

    /** {@code n} qualified tail calls; records the stack depth at the first and at the last step. */
    public static Next qualifiedTail(int n, int total, BlockingQueue<Object> out) {
        if (n == total || n == 0) {
            out.add(depth());
        }
        if (n == 0) {
            return Next.done();
        }
        return Next.call("m", "qualifiedTail", n - 1, total, out);
    }

    /**
     * Ignores interrupts and never makes a runtime call until {@code stop} is set, then ends normally: a process
     * that a purge cannot stop within its bound.
     */
    public static Next stubborn(AtomicBoolean stop, BlockingQueue<Object> out) {
        out.add("running");
        while (!stop.get()) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                // deliberately ignored
            }
        }
        out.add("stopped");
        return Next.done();
    }

    /** The calling thread's stack depth (not exported: private). */
    private static int depth() {
        return StackWalker.getInstance().walk(frames -> (int) frames.count());
    }

    /** Blocks inside this version until it receives "release": a qualified call that is in progress. */
    public static String hold(BlockingQueue<Object> out) {
        out.add("holding");
        receive("release");
        return "released";
    }

    /** Whether the calling thread's context class loader is this version's. */
    public static boolean contextLoaderIsMine() {
        return Thread.currentThread().getContextClassLoader() == ModV2.class.getClassLoader();
    }

    public static String echo(int x) {
        return "v2:" + x;
    }

    public static String pair(int a, String b) {
        return a + b;
    }

    public static String accept(Object o) {
        return "accepted by v2";
    }

    // ------------------------------------------------------------------ funs (lambdas) of this version

    /** A fun of this version: waits in receive inside itself for "leave", then returns this version's name. */
    public static Callable<Object> parkingFun(BlockingQueue<Object> out) {
        return () -> {
            out.add("in fun");
            receive("leave");
            return version();
        };
    }

    /** A fun of this version that keeps making qualified calls, never waiting, until {@code stop} is set. */
    public static Callable<Object> busyFun(AtomicBoolean stop, BlockingQueue<Object> out) {
        return () -> {
            out.add("in fun");
            while (!stop.get()) {
                call("m", "version");
            }
            return version();
        };
    }

    /** A fun of this version that blocks in a JDK call (a queue's take), not in the runtime, and returns what it took. */
    public static Callable<Object> blockingFun(BlockingQueue<Object> in, BlockingQueue<Object> out) {
        return () -> {
            out.add("in fun");
            return in.take();
        };
    }

    /** A fun of this version: its local call stays in this version, its qualified call goes to the current one. */
    public static Callable<Object> versionsFun() {
        return () -> version() + "/" + call("m", "version");
    }

    /** A step of this version: waits in receive inside itself for "leave", then ends the process. */
    public static Next parkingStep(BlockingQueue<Object> out) {
        return () -> {
            out.add("in step");
            receive("leave");
            out.add("left " + version());
            return Next.done();
        };
    }

    /** A step of this version that never calls the runtime (see {@link #stubborn}) until {@code stop} is set. */
    public static Next stubbornStep(AtomicBoolean stop, BlockingQueue<Object> out) {
        return () -> stubborn(stop, out);
    }

    /**
     * Runs the funs it is given, replying with each result, then loops in this version. A list, because a fun of
     * another version of this module may not be passed on its own (see Crossing).
     */
    public static Next runFuns(List<Callable<Object>> funs, BlockingQueue<Object> out) throws Exception {
        for (Callable<Object> f : funs) {
            out.add(f.call());
        }
        return () -> loop(out);
    }

    /** Continues with the step it is given: a step made by another version runs on this process's trampoline. */
    public static Next runStep(List<Next> step) {
        return step.get(0);
    }
}
