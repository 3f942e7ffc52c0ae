package hotcode.runtime.impl;

import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import static hotcode.runtime.api.Hotcode.ANY;
import static hotcode.runtime.api.Hotcode.DOWN;
import static hotcode.runtime.api.Hotcode.EXIT;
import static hotcode.runtime.api.Hotcode.KILL;
import static hotcode.runtime.api.Hotcode.KILLED;
import static hotcode.runtime.api.Hotcode.NOPROC;
import static hotcode.runtime.api.Hotcode.NORMAL;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** Links, monitors, names, dead letters, and the code server's purge / soft purge / delete. */
public class ProcessSemanticsTest extends KernelTest {
    private static final Object PROCESS = atom("process");


    private Proc proc(Pid p) {
        return k.processes().lookup(p);
    }

    private Object exitReasonOf(Pid p) throws InterruptedException {
        assertTrue(p + " did not exit", proc(p).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        return proc(p).exitReason();
    }

    /** Waits (bounded) until {@code value} reaches {@code expected}; then checks it is exactly that. */
    private static void awaitValue(String what, long expected, LongSupplier value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (value.getAsLong() < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(what, expected, value.getAsLong());
    }

    private long deadLetters(String reason) {
        Long n = k.deadLetters().countsByReason().get(reason);
        return n == null ? 0 : n;
    }

    // ------------------------------------------------------------------ links

    @Test(timeout = 60_000)
    public void abnormalExitKillsALinkedProcessThatDoesNotTrap() throws Exception {
        Agent a = Agent.spawn();
        Agent b = Agent.spawnLinked(a);
        assertEquals(List.of(b.pid()), proc(a.pid()).links());
        b.exitWith(atom("boom"));
        b.awaitTerminated();
        assertEquals(atom("boom"), exitReasonOf(b.pid()));
        assertEquals("the linked process dies with the same reason", atom("boom"), exitReasonOf(a.pid()));
    }

    @Test(timeout = 60_000)
    public void aCrashPropagatesAsAnExceptionReason() throws Exception {
        Agent a = Agent.spawn();
        Pid crasher = a.call(() -> Hotcode.spawnLink(() -> {
            throw new IllegalStateException("crash!");
        }));
        assertTrue(exitReasonOf(crasher) instanceof IllegalStateException);
        assertTrue(exitReasonOf(a.pid()) instanceof IllegalStateException);
    }

    @Test(timeout = 60_000)
    public void normalExitDoesNotKillALinkedProcess() throws Exception {
        Agent a = Agent.spawn();
        Agent b = Agent.spawnLinked(a);
        b.exitWith(NORMAL);
        b.awaitTerminated(); // its exit signal, if any, has been sent
        assertEquals("still alive and answering", "alive", a.call(() -> "alive"));
        assertTrue(Hotcode.isAlive(a.pid()));
        assertEquals("the link is gone with b", List.of(), proc(a.pid()).links());
    }

    @Test(timeout = 60_000)
    public void exitSignalNormalIsIgnoredByANonTrappingProcess() throws Exception {
        Agent a = Agent.spawn();
        Hotcode.exit(a.pid(), NORMAL);
        assertEquals("alive", a.call(() -> "alive"));
    }

    @Test(timeout = 60_000)
    public void aTrappingProcessGetsExitMessages() throws Exception {
        Agent a = Agent.spawn();
        assertEquals(false, a.call(() -> Hotcode.trapExit(true)));
        Agent b = Agent.spawnLinked(a);
        b.exitWith(atom("boom"));
        assertEquals(tuple(EXIT, b.pid(), atom("boom")), a.receive(tuple(EXIT, ANY, ANY)));
        b.awaitTerminated();
        assertEquals("alive", a.call(() -> "alive"));

        Agent c = Agent.spawnLinked(a);
        c.exitWith(NORMAL);
        assertEquals("a trapping process sees normal exits too",
                tuple(EXIT, c.pid(), NORMAL), a.receive(tuple(EXIT, ANY, ANY)));

        Agent d = Agent.spawn();
        a.call(() -> {
            Hotcode.exit(a.pid(), atom("from-a-to-itself"));
            return null;
        });
        assertEquals(tuple(EXIT, a.pid(), atom("from-a-to-itself")), a.receive(tuple(EXIT, ANY, ANY)));
        a.call(() -> {
            Hotcode.exit(a.pid(), NORMAL);
            return null;
        });
        assertEquals("exit(self(), normal) in a trapping process is a message too",
                tuple(EXIT, a.pid(), NORMAL), a.receive(tuple(EXIT, ANY, ANY)));
        d.call(() -> {
            Hotcode.exit(a.pid(), atom("shutdown"));
            return null;
        });
        assertEquals(tuple(EXIT, d.pid(), atom("shutdown")), a.receive(tuple(EXIT, ANY, ANY)));
        assertTrue(Hotcode.isAlive(a.pid()));
    }

    @Test(timeout = 60_000)
    public void linkingToADeadProcessSignalsNoproc() throws Exception {
        Agent dead = Agent.spawn();
        dead.exitWith(NORMAL);
        dead.awaitTerminated();
        Agent trapper = Agent.spawn();
        trapper.call(() -> Hotcode.trapExit(true));
        trapper.call(() -> {
            Hotcode.link(dead.pid());
            return null;
        });
        assertEquals(tuple(EXIT, dead.pid(), NOPROC), trapper.receive(tuple(EXIT, ANY, ANY)));
    }

    @Test(timeout = 60_000)
    public void killCannotBeTrappedAndGivesReasonKilled() throws Exception {
        Agent a = Agent.spawn();
        a.call(() -> Hotcode.trapExit(true));
        Agent watcher = Agent.spawn();
        watcher.call(() -> Hotcode.trapExit(true));
        watcher.call(() -> {
            Hotcode.link(a.pid());
            return null;
        });
        Hotcode.exit(a.pid(), KILL);
        a.awaitTerminated();
        assertSame(KILLED, exitReasonOf(a.pid()));
        assertEquals("linked processes see killed, not kill",
                tuple(EXIT, a.pid(), KILLED), watcher.receive(tuple(EXIT, ANY, ANY)));
    }

    @Test(timeout = 60_000)
    public void unlinkedProcessesDoNotDieTogether() throws Exception {
        Agent a = Agent.spawn();
        Agent b = Agent.spawnLinked(a);
        a.call(() -> {
            Hotcode.unlink(b.pid());
            return null;
        });
        b.exitWith(atom("boom"));
        b.awaitTerminated();
        assertEquals("alive", a.call(() -> "alive"));
    }

    /**
     * Regression: an exit signal that reaches a process while its step is in plain Java code (here: a kill interrupting a
     * blocking JDK call whose InterruptedException the module catches) is forgotten if the step then returns
     * {@code Next.done()}: Proc.run's trampoline ends without a final checkExit(), so the process exits with reason
     * {@code normal} instead of {@code killed}, and linked processes are not told.
     */
    @Test(timeout = 60_000)
    public void aKilledProcessExitsKilledEvenIfItsStepReturnsDone() throws Exception {
        BlockingQueue<Object> never = new LinkedBlockingQueue<>();
        Pid p = Hotcode.spawn(() -> {
            out.add("blocking");
            try {
                never.take();
            } catch (InterruptedException e) {
                out.add("interrupted");
            }
            return Next.done();
        });
        assertEquals("blocking", next());
        Hotcode.exit(p, KILL);
        assertEquals("interrupted", next());
        assertSame("the exit reason of a killed process", KILLED, exitReasonOf(p));
    }

    // ------------------------------------------------------------------ monitors

    @Test(timeout = 60_000)
    public void monitorGetsDownWithTheExitReason() throws Exception {
        Agent w = Agent.spawn();
        Agent t = Agent.spawn();
        Ref ref = w.call(() -> Hotcode.monitor(t.pid()));
        assertEquals(List.of(t.pid()), proc(w.pid()).monitors());
        assertEquals(List.of(w.pid()), proc(t.pid()).monitoredBy());
        t.exitWith(atom("bye"));
        assertEquals(tuple(DOWN, ref, PROCESS, t.pid(), atom("bye")), w.receive(tuple(DOWN, ANY, ANY, ANY, ANY)));
        assertEquals("a monitor is not a link", "alive", w.call(() -> "alive"));
        assertEquals(List.of(), proc(w.pid()).monitors());
    }

    @Test(timeout = 60_000)
    public void monitorOfADeadProcessGetsDownNoproc() throws Exception {
        Agent w = Agent.spawn();
        Agent t = Agent.spawn();
        t.exitWith(NORMAL);
        t.awaitTerminated();
        Ref ref = w.call(() -> Hotcode.monitor(t.pid()));
        assertEquals(tuple(DOWN, ref, PROCESS, t.pid(), NOPROC), w.receive(tuple(DOWN, ANY, ANY, ANY, ANY)));
    }

    @Test(timeout = 60_000)
    public void demonitorStopsTheDownMessage() throws Exception {
        Agent w = Agent.spawn();
        Agent t = Agent.spawn();
        Ref r1 = w.call(() -> Hotcode.monitor(t.pid()));
        Ref r2 = w.call(() -> Hotcode.monitor(t.pid()));
        w.call(() -> {
            Hotcode.demonitor(r1);
            return null;
        });
        assertEquals(List.of(w.pid()), proc(t.pid()).monitoredBy());
        t.exitWith(atom("bye"));
        t.awaitTerminated(); // every DOWN message it was going to send has been sent
        assertEquals(tuple(DOWN, r2, PROCESS, t.pid(), atom("bye")), w.receive(tuple(DOWN, r2, ANY, ANY, ANY)));
        assertNull("no DOWN for the removed monitor", w.poll(tuple(DOWN, ANY, ANY, ANY, ANY)));
    }

    // ------------------------------------------------------------------ names

    @Test(timeout = 60_000)
    public void registerWhereisUnregister() throws Exception {
        Agent a = Agent.spawn();
        assertNull(Hotcode.whereis("srv"));
        Hotcode.register("srv", a.pid());
        assertSame(a.pid(), Hotcode.whereis("srv"));
        assertEquals("srv", proc(a.pid()).registeredName());
        Hotcode.send("srv", "hello");
        assertEquals("hello", a.receive("hello"));
        Hotcode.unregister("srv");
        assertNull(Hotcode.whereis("srv"));
        HotcodeException e = assertThrows(HotcodeException.class, () -> Hotcode.send("srv", "lost"));
        assertTrue(e.getMessage(), e.getMessage().contains("srv"));
        HotcodeException u = assertThrows(HotcodeException.class, () -> Hotcode.unregister("srv"));
        assertTrue(u.getMessage(), u.getMessage().contains("srv"));
        Hotcode.register("srv2", a.pid()); // free for a new name again
        assertSame(a.pid(), Hotcode.whereis("srv2"));
    }

    @Test(timeout = 60_000)
    public void registerErrors() throws Exception {
        Agent a = Agent.spawn();
        Agent b = Agent.spawn();
        Hotcode.register("srv", a.pid());

        HotcodeException taken = assertThrows(HotcodeException.class, () -> Hotcode.register("srv", b.pid()));
        assertTrue(taken.getMessage(), taken.getMessage().contains("srv"));
        assertTrue(taken.getMessage(), taken.getMessage().contains(a.pid().toString()));
        assertSame(a.pid(), Hotcode.whereis("srv"));

        HotcodeException second = assertThrows(HotcodeException.class, () -> Hotcode.register("other", a.pid()));
        assertTrue(second.getMessage(), second.getMessage().contains(a.pid().toString()));
        assertTrue(second.getMessage(), second.getMessage().contains("srv"));
        assertNull(Hotcode.whereis("other"));

        b.exitWith(NORMAL);
        b.awaitTerminated();
        HotcodeException dead = assertThrows(HotcodeException.class, () -> Hotcode.register("late", b.pid()));
        assertTrue(dead.getMessage(), dead.getMessage().contains("late"));
        assertTrue(dead.getMessage(), dead.getMessage().contains("noproc"));
        assertNull(Hotcode.whereis("late"));

        assertThrows(HotcodeException.class, () -> Hotcode.register("", a.pid()));
    }

    /**
     * Regression: Hotcode.register's javadoc promises an error "naming the name and both pids when the name
     * is taken"; Names.register names only the holder, not the pid that was being registered.
     */
    @Test(timeout = 60_000)
    public void nameTakenErrorNamesBothPids() throws Exception {
        Agent a = Agent.spawn();
        Agent b = Agent.spawn();
        Hotcode.register("srv", a.pid());
        HotcodeException taken = assertThrows(HotcodeException.class, () -> Hotcode.register("srv", b.pid()));
        assertTrue("the error must name the pid being registered: " + taken.getMessage(),
                taken.getMessage().contains(b.pid().toString()));
    }

    @Test(timeout = 60_000)
    public void aNameIsReleasedWhenItsProcessExits() throws Exception {
        Agent a = Agent.spawn();
        Hotcode.register("srv", a.pid());
        a.exitWith(atom("bye"));
        a.awaitTerminated();
        assertNull(Hotcode.whereis("srv"));
        assertEquals(Map.of(), k.names().all());
        Agent b = Agent.spawn();
        Hotcode.register("srv", b.pid());
        assertSame(b.pid(), Hotcode.whereis("srv"));
    }

    // ------------------------------------------------------------------ dead letters

    @Test(timeout = 60_000)
    public void sendToADeadProcessIsADeadLetterNoproc() throws Exception {
        Agent a = Agent.spawn();
        a.exitWith(NORMAL);
        a.awaitTerminated();
        long before = Hotcode.deadLetterCount();
        Hotcode.send(a.pid(), "too late");
        assertEquals(before + 1, Hotcode.deadLetterCount());
        assertEquals(1, deadLetters("noproc"));
        List<DeadLetter> recent = Hotcode.recentDeadLetters();
        DeadLetter last = recent.get(recent.size() - 1);
        assertSame(a.pid(), last.to());
        assertEquals("too late", last.message());
        assertSame(NOPROC, last.reason());
    }

    @Test(timeout = 60_000)
    public void messagesLeftInAKilledProcessesMailboxAreDeadLettersKilled() throws Exception {
        Agent a = Agent.spawn();
        Hotcode.send(a.pid(), "m1");
        Hotcode.send(a.pid(), tuple(atom("m"), 2));
        assertEquals("alive", a.call(() -> "alive")); // m1 and {m, 2} are now on its save queue
        Hotcode.send(a.pid(), "m3");                  // and m3 perhaps still on the queue
        Hotcode.exit(a.pid(), KILL);
        a.awaitTerminated();
        assertSame(KILLED, exitReasonOf(a.pid()));
        assertEquals(3, deadLetters("killed"));
        List<Object> messages = Hotcode.recentDeadLetters().stream()
                .filter(d -> d.to() == a.pid() && d.reason() == KILLED).map(DeadLetter::message).toList();
        assertEquals(List.of("m1", tuple(atom("m"), 2), "m3"), messages);
    }

    // ------------------------------------------------------------------ purge, soft purge, delete

    @Test(timeout = 60_000)
    public void purgeKillsOnlyTheProcessesOnOldCode() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid onOld = Hotcode.spawn("m", "loop", out);
        Pid movedOn = Hotcode.spawn("m", "loop", out);
        Agent plain = Agent.spawn();
        assertEquals("parked", ask(onOld, "park"));
        Hotcode.send(onOld, "q1");
        Hotcode.send(onOld, "q2");
        Hotcode.send(onOld, "q3");

        Modules.load(k, "m", Mod.class, "2.0.0");
        Pid onNew = Hotcode.spawn("m", "loop", out);
        assertEquals("v2", ask(onNew, "local"));
        assertEquals("upgrading", ask(movedOn, "upgrade"));
        assertEquals("v2", ask(movedOn, "local"));

        PurgeResult r = k.code().purge("m");
        assertTrue(r.purged());
        assertEquals(List.of(onOld), r.killed());
        assertEquals(List.of(), r.blockers());
        assertSame(KILLED, exitReasonOf(onOld));
        awaitValue("messages left in its mailbox", 3, () -> deadLetters("killed"));

        assertEquals("v2", ask(onNew, "local"));
        assertEquals("v2", ask(movedOn, "local"));
        assertEquals("alive", plain.call(() -> "alive"));
        ModuleInfo info = k.code().which("m").orElseThrow();
        assertTrue(info.old().isEmpty());
        assertEquals("2.0.0", info.current().orElseThrow().version());
        assertEquals(2, info.current().orElseThrow().processes());

        PurgeResult again = k.code().purge("m");
        assertFalse("no old code left", again.purged());
        assertEquals(List.of(), again.killed());
    }

    @Test(timeout = 60_000)
    public void loadingAThirdVersionPurgesTheFirst() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p1 = Hotcode.spawn("m", "loop", out);
        assertEquals("v1", ask(p1, "local"));
        Modules.load(k, "m", Mod.class, "2.0.0");
        Modules.load(k, "m", Mod.class, "3.0.0");
        assertSame(KILLED, exitReasonOf(p1));
        ModuleInfo info = k.code().which("m").orElseThrow();
        assertEquals("2.0.0", info.old().orElseThrow().version());
        assertEquals("3.0.0", info.current().orElseThrow().version());
        assertEquals(3, info.current().orElseThrow().vsn());
    }

    @Test(timeout = 60_000)
    public void purgeReportsProcessesItCannotStopAsBlockers() throws Exception {
        Kernel.uninstall(k);
        k = new Kernel(300);
        Kernel.install(k);
        AtomicBoolean stop = new AtomicBoolean();
        try {
            Modules.load(k, "m", Mod.class, "1.0.0");
            Pid stubborn = Hotcode.spawn("m", "stubborn", stop, out);
            assertEquals("running", next());
            Modules.load(k, "m", Mod.class, "2.0.0");
            PurgeResult r = k.code().purge("m");
            assertTrue("the old code is dropped anyway", r.purged());
            assertEquals(List.of(stubborn), r.killed());
            assertEquals(List.of(stubborn), r.blockers());
            assertTrue(k.code().which("m").orElseThrow().old().isEmpty());
        } finally {
            stop.set(true);
        }
        assertEquals("stopped", next());
    }

    @Test(timeout = 60_000)
    public void softPurgeNamesBlockersAndDoesNothing() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        assertEquals("nothing to purge counts as purged", new PurgeResult("m", true, List.of(), List.of()),
                k.code().softPurge("m"));
        Pid p = Hotcode.spawn("m", "loop", out);
        assertEquals("v1", ask(p, "local"));
        Modules.load(k, "m", Mod.class, "2.0.0");

        PurgeResult blocked = k.code().softPurge("m");
        assertFalse(blocked.purged());
        assertEquals(List.of(p), blocked.blockers());
        assertEquals(List.of(), blocked.killed());
        assertTrue("old code kept", k.code().which("m").orElseThrow().old().isPresent());
        assertEquals("still running v1", "v1", ask(p, "local"));

        assertEquals("upgrading", ask(p, "upgrade"));
        assertEquals("v2", ask(p, "local"));
        PurgeResult done = k.code().softPurge("m");
        assertTrue(done.purged());
        assertEquals(List.of(), done.killed());
        assertEquals(List.of(), done.blockers());
        assertTrue(k.code().which("m").orElseThrow().old().isEmpty());
        assertEquals("v2", ask(p, "local"));
        assertTrue(k.code().softPurge("m").purged());
    }

    @Test(timeout = 60_000)
    public void deleteMakesCallsUndefAndKillsNobody() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        assertEquals("v1", ask(p, "local"));

        assertTrue(k.code().delete("m"));
        assertFalse(k.code().isLoaded("m"));
        assertEquals("the bundle is still there: not_loaded, as Erlang says of a deleted module", "not_loaded", k.code().which("m").orElseThrow().status());
        UndefException e = assertThrows(UndefException.class, () -> Hotcode.call("m", "version"));
        assertTrue(e.getMessage(), e.getMessage().contains("m:version/0"));
        assertThrows(UndefException.class, () -> Hotcode.spawn("m", "loop", out));

        assertEquals("nobody killed: it still runs its (now old) code", "v1", ask(p, "local"));
        assertTrue(k.code().checkProcessCode(p, "m"));

        assertFalse("second delete refused", k.code().delete("m"));

        PurgeResult r = k.code().purge("m");
        assertTrue(r.purged());
        assertEquals("its bundle is still there: not_loaded, with no code", "not_loaded", k.code().which("m").orElseThrow().status());
        assertTrue(k.code().which("m").orElseThrow().old().isEmpty());
        assertFalse("nothing to delete", k.code().delete("m"));
    }

    @Test
    public void deleteIsRefusedWhileThereIsOldCode() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertFalse(k.code().delete("m"));
        assertTrue(k.code().isLoaded("m"));
        assertEquals("v2", Hotcode.call("m", "version"));
    }

    @Test
    public void anotherBundleCannotProvideTheSameModule() {
        Modules.load(k, "m", Mod.class, "1.0.0");
        try {
            k.code().load(new hotcode.runtime.impl.code.ModuleSource(
                    hotcode.runtime.impl.code.ModuleHeader.parse("m;class=" + Mod.class.getName(), "other"),
                    "other.bundle", "1.0.0", 999, "test:other", hotcode.runtime.impl.code.ModuleRevision.detached(),
                    Mod.class.getClassLoader()));
            fail("a second bundle claimed module m");
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("other.bundle") && e.getMessage().contains("test.m"));
        }
        assertEquals("v1", Hotcode.call("m", "version"));
    }

    @Test(timeout = 60_000)
    public void exitSignalFromOutsideAProcessComesFromTheRuntime() throws Exception {
        Agent a = Agent.spawn();
        a.call(() -> Hotcode.trapExit(true));
        Hotcode.exit(a.pid(), atom("stop"));
        Tuple m = (Tuple) a.receive(tuple(EXIT, ANY, ANY));
        assertEquals(atom("stop"), m.get(2));
        assertEquals(atom("hotcode"), m.get(1));
    }
}
