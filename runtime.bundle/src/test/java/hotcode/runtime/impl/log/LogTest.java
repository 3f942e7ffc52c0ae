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
}
