package hotcode.runtime.impl.process;

import hotcode.runtime.api.ExitException;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static hotcode.runtime.api.Hotcode.KILL;
import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** Dead letters on the console: still logged after kills, and the count of the lines not shown. */
public class DeadLetterOfficeTest extends KernelTest {
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private PrintStream err;

    @Before
    public void installConsole() {
        // As Gogo's session builds its error stream: over an interruptible channel, which a write by an interrupted
        // thread closes for good.
        err = new PrintStream(Channels.newOutputStream(Channels.newChannel(console)), true, StandardCharsets.UTF_8);
        System.setErr(err);
    }

    @After
    public void restoreConsole() {
        System.setErr(originalErr);
    }

    private String consoleText() {
        synchronized (console) {
            return console.toString(StandardCharsets.UTF_8);
        }
    }

    /** Whether {@code t} waits for a process's lock in {@code method}. */
    private static boolean waitsForALockIn(Thread t, String method) {
        boolean contended = false;
        for (StackTraceElement e : t.getStackTrace()) {
            contended |= e.getMethodName().equals("lockContended");
            if (contended && e.getMethodName().equals(method)) {
                return t.getState() == Thread.State.TIMED_WAITING; // parked there, not on its way in or out
            }
        }
        return false;
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(what, condition.getAsBoolean());
    }

    /**
     * Regression: a kill's interrupt could reach a process after it had cleared its interrupt flag on its way out, so
     * the process wrote its dead letters interrupted, which closed the console's error stream: no more WARNING lines
     * for the rest of the run. Here the interleaving is forced: the test holds the process's lock; a kill waits for it
     * first, then the process, which has begun its own exit, waits behind it in its exit. The lock is handed on in
     * that order, so the kill interrupts the process (it has not set {@code exited} yet) while it waits.
     */
    @Test(timeout = 60_000)
    public void aKillDuringTheExitDoesNotInterruptTheCleanUpNorSilenceLaterWarnings() throws Exception {
        Pid p = Hotcode.spawn(() -> {
            Hotcode.receive("go");
            throw new ExitException(atom("boom")); // its own exit: no signal, which would wait for the lock too
        });
        Hotcode.send(p, atom("queued"));
        Proc proc = k.processes().lookup(p);
        List<Boolean> interruptedWhileRecording = new CopyOnWriteArrayList<>();
        k.deadLetters().subscribe(d -> interruptedWhileRecording.add(Thread.currentThread().isInterrupted()));
        Thread killer;
        proc.lock();
        try {
            killer = Thread.ofPlatform().name("killer").start(() -> Hotcode.exit(p, KILL));
            awaitTrue("the kill waits for the process's lock", () -> waitsForALockIn(killer, "markExit"));
            Hotcode.send(p, "go"); // the process exits and, in its exit, waits for this lock behind the kill
            awaitTrue("the process waits for its lock in its exit", () -> waitsForALockIn(proc.thread(), "terminate"));
            assertTrue("not yet exited", proc.isAlive());
        } finally {
            proc.unlock(); // the kill first, then the process
        }
        killer.join();
        assertTrue(proc.awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        assertEquals("its own exit reason: the kill came after its exit had begun", atom("boom"), proc.exitReason());
        assertEquals("the queued message is a dead letter, recorded without an interrupt pending",
                List.of(false), interruptedWhileRecording);

        Hotcode.send(p, atom("later")); // a new dead letter (noproc), logged by the test thread
        assertFalse("the console stream still works", err.checkError());
        String text = consoleText();
        assertTrue(text, text.contains("dead letter to " + p + " (boom): queued"));
        assertTrue(text, text.contains("dead letter to " + p + " (noproc): later"));
    }

    /**
     * A send to an exited process records the sending process; a message left in a mailbox at exit, and one sent from
     * outside any process, have no sender (unknown). The constructor without a sender still works.
     */
    @Test(timeout = 60_000)
    public void aDeadLetterNamesItsSenderWhereTheSendFailed() throws Exception {
        java.util.concurrent.BlockingQueue<hotcode.runtime.api.DeadLetter> letters = new java.util.concurrent.LinkedBlockingQueue<>();
        k.deadLetters().subscribe(letters::add);
        Pid target = Hotcode.spawn(() -> {
            Hotcode.receive("never");
            return null;
        });
        Hotcode.send(target, atom("left"));
        Hotcode.exit(target, KILL);
        hotcode.runtime.api.DeadLetter left = letters.poll(WAIT, TimeUnit.SECONDS);
        assertEquals(atom("left"), left.message());
        assertEquals("a mailbox keeps no senders", null, left.from());

        Pid sender = Hotcode.spawn(() -> {
            Hotcode.send(target, atom("too_late"));
            return null;
        });
        hotcode.runtime.api.DeadLetter late = letters.poll(WAIT, TimeUnit.SECONDS);
        assertEquals(atom("too_late"), late.message());
        assertEquals(atom("noproc"), late.reason());
        assertEquals("the sending process", sender, late.from());
        assertTrue(late.toString(), late.toString().contains(" to " + target + " from " + sender + " (noproc): too_late"));
        // subscribers hear of a dead letter before its log line is written: wait for the line
        String line = "dead letter to " + target + " from " + sender + " (noproc): too_late";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!consoleText().contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(consoleText(), consoleText().contains(line));

        Hotcode.send(target, atom("from_outside")); // the test thread is no process
        hotcode.runtime.api.DeadLetter outside = letters.poll(WAIT, TimeUnit.SECONDS);
        assertEquals(atom("from_outside"), outside.message());
        assertEquals(null, outside.from());
        assertEquals(null, new hotcode.runtime.api.DeadLetter(target, "m", atom("x"), java.time.Instant.EPOCH).from());
    }

    /**
     * Regression: the count of dead letters not shown in a busy second was logged only with the next dead letter in a
     * later second, so after a burst it never came.
     */
    @Test(timeout = 60_000)
    public void theCountOfLinesNotShownComesWithoutAFurtherDeadLetter() throws Exception {
        DeadLetterOffice office = new DeadLetterOffice();
        java.util.concurrent.atomic.AtomicLong bursts = new java.util.concurrent.atomic.AtomicLong();
        office.onBurst(bursts::addAndGet); // told each count the console shows (the OSGi boundary posts it as an event)
        Pid to = () -> 42;
        int n = 100;
        for (int i = 0; i < n; i++) {
            office.record(to, "m" + i, atom("test"));
        }
        Pattern more = Pattern.compile("dead letters: (\\d+) more not shown");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        long accounted;
        do {
            String text = consoleText();
            accounted = text.lines().filter(l -> l.contains("dead letter to ")).count();
            Matcher m = more.matcher(text);
            while (m.find()) {
                accounted += Long.parseLong(m.group(1));
            }
        } while (accounted < n && System.nanoTime() < deadline && sleep(10));
        assertEquals("lines shown plus the counts of those not shown:\n" + consoleText(), n, accounted);
        long shown = consoleText().lines().filter(l -> l.contains("dead letter to ")).count();
        long burstDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (shown + bursts.get() < n && System.nanoTime() < burstDeadline) { // told right after the count's line
            sleep(10);
        }
        assertEquals("the burst listener was told every count not shown", n - shown, bursts.get());
        assertTrue(consoleText().lines().filter(l -> l.contains("dead letter to ")).count()
                <= 2L * DeadLetterOffice.LOG_PER_SECOND);
    }

    private static boolean sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }
}
