package hotcode.runtime.impl.log;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** The log on a console whose streams break on interrupt, as the Gogo console's do. */
public class LogTest {
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private PrintStream err;

    /**
     * A stream as Gogo's session builds it: a PrintStream over {@code Channels.newChannel(OutputStream)}, an
     * interruptible channel; a write by an interrupted thread closes it for good.
     */
    static PrintStream consoleStream(ByteArrayOutputStream sink) {
        WritableByteChannel channel = Channels.newChannel(sink);
        return new PrintStream(Channels.newOutputStream(channel), true, StandardCharsets.UTF_8);
    }

    @Before
    public void installConsole() {
        err = consoleStream(console);
        System.setErr(err);
    }

    @After
    public void restore() {
        Thread.interrupted();
        System.setErr(originalErr);
    }

    /**
     * Regression: a warning logged by a thread with its interrupt flag set (a process being killed writes its dead
     * letters) closed the console's error stream, and every later WARNING was lost for the rest of the run.
     */
    @Test
    public void anInterruptedCallerDoesNotBreakTheConsoleStream() {
        Thread.currentThread().interrupt();
        Log.warn("first");
        assertTrue("the caller's interrupt flag is kept", Thread.interrupted());
        Log.warn("second");
        assertFalse("the console stream still works", err.checkError());
        String text = console.toString(StandardCharsets.UTF_8);
        assertTrue(text, text.contains("[hotcode] WARNING first"));
        assertTrue(text, text.contains("[hotcode] WARNING second"));
    }

    @Test
    public void aLineTheConsoleCannotTakeGoesToTheFallback() throws Exception {
        ByteArrayOutputStream closed = new ByteArrayOutputStream();
        WritableByteChannel channel = Channels.newChannel(closed);
        PrintStream broken = new PrintStream(Channels.newOutputStream(channel), true, StandardCharsets.UTF_8);
        channel.close(); // as module code killed in the middle of its own print leaves it
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        PrintStream fallback = new PrintStream(raw, true, StandardCharsets.UTF_8);
        Log.write(broken, fallback, "[hotcode] WARNING still here");
        assertEquals("[hotcode] WARNING still here" + System.lineSeparator(), raw.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream fine = new ByteArrayOutputStream();
        Log.write(new PrintStream(fine, true, StandardCharsets.UTF_8), fallback, "[hotcode] once");
        assertEquals("a working stream: no copy", "[hotcode] WARNING still here" + System.lineSeparator(),
                raw.toString(StandardCharsets.UTF_8));
        assertEquals("[hotcode] once" + System.lineSeparator(), fine.toString(StandardCharsets.UTF_8));
    }

    /** Writes {@code body}'s console lines into one text (standard output, then standard error). */
    private static String consoleOf(Runnable body) {
        PrintStream out = System.out, errBefore = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(out);
            System.setErr(errBefore);
        }
        return o.toString(StandardCharsets.UTF_8) + "--\n" + e.toString(StandardCharsets.UTF_8);
    }

    private static void logOneOfEach() {
        Log.info("loaded counter v2");
        Log.info(Log.Concern.CODE, "purged counter v1");
        Log.warn("dead letter to <0.1.0>");
        Log.warn(Log.Concern.PROCESS, "dead letters: 3 more not shown");
        Log.error("counter: upgrade rolled back", new IllegalStateException("boom"));
        Log.error(Log.Concern.UPGRADE, "no cause", null);
        Log.debug(Log.Concern.UPGRADE, "a trace for the Log Service only", new IllegalStateException("deep"));
    }

    /** The console lines without a Log Service: as they were before there was one (no trace, no debug line). */
    @Test
    public void withoutALogServiceTheConsoleLinesAreUnchanged() {
        Log.sink(null);
        String nl = System.lineSeparator();
        assertEquals("[hotcode] loaded counter v2" + nl + "[hotcode] purged counter v1" + nl + "--\n"
                + "[hotcode] WARNING dead letter to <0.1.0>" + nl + "[hotcode] WARNING dead letters: 3 more not shown" + nl
                + "[hotcode] ERROR counter: upgrade rolled back" + nl + "[hotcode] ERROR no cause" + nl,
                consoleOf(LogTest::logOneOfEach));
    }

    /**
     * With a Log Service every entry reaches it too, at its level, on its concern's logger (the caller's package when
     * not given), errors and debug entries with their throwable; the console shows the same lines as without one.
     */
    @Test
    public void aSinkGetsEveryEntryAndTheConsoleStaysTheSame() {
        Log.sink(null);
        String without = consoleOf(LogTest::logOneOfEach);
        java.util.List<String> entries = new java.util.ArrayList<>();
        Log.sink((level, concern, message, cause) -> entries.add(level + " " + concern.logger + " " + message
                + (cause == null ? "" : " / " + cause.getMessage())));
        try {
            assertEquals(without, consoleOf(LogTest::logOneOfEach));
        } finally {
            Log.sink(null);
        }
        assertEquals(java.util.List.of(
                "INFO hotcode.runtime loaded counter v2",
                "INFO hotcode.code purged counter v1",
                "WARN hotcode.runtime dead letter to <0.1.0>",
                "WARN hotcode.process dead letters: 3 more not shown",
                "ERROR hotcode.runtime counter: upgrade rolled back / boom",
                "ERROR hotcode.upgrade no cause",
                "DEBUG hotcode.upgrade a trace for the Log Service only / deep"), entries);
    }

    @Test
    public void theConcernOfAnEntryWithoutOneIsItsCallersPackage() {
        assertEquals(Log.Concern.UPGRADE, Log.Concern.of(hotcode.runtime.impl.upgrade.CodeServerImpl.class));
        assertEquals(Log.Concern.PROCESS, Log.Concern.of(hotcode.runtime.impl.process.DeadLetterOffice.class));
        assertEquals(Log.Concern.OSGI, Log.Concern.of(hotcode.runtime.impl.osgi.ModuleExtender.class));
        assertEquals(Log.Concern.RUNTIME, Log.Concern.of(hotcode.runtime.impl.Kernel.class));
    }

    /** A Log Service that fails (e.g. gone while its bundle stops) costs the entry there, never the console line. */
    @Test
    public void aFailingSinkDoesNotHurtTheConsoleOrTheCaller() {
        Log.sink((level, concern, message, cause) -> {
            throw new IllegalStateException("LoggerFactory is gone");
        });
        try {
            String text = consoleOf(() -> Log.warn("still shown"));
            assertEquals("--\n[hotcode] WARNING still shown" + System.lineSeparator(), text);
        } finally {
            Log.sink(null);
        }
    }
}
