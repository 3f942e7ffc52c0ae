package hotcode.runtime.impl.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;

/**
 * The runtime's log: one line per event on the console (standard output for information, standard error for
 * problems), prefixed {@code [hotcode]}. The console is where an operator running an upgrade is looking.
 *
 * <p>The log survives interrupts. In the Felix console, {@code System.out} and {@code System.err} are Gogo's session
 * streams, which write through interruptible channels: a write by an interrupted thread closes such a channel for good,
 * and every later line on it is lost without a word. So a line is written with the caller's interrupt flag cleared
 * (and the flag set again after), and a line that the stream could not take (its channel was closed by someone else,
 * e.g. module code killed in the middle of its own print) goes to the JVM's own standard output or error instead.
 */
public final class Log {
    /** The JVM's own streams: file descriptors, which no interrupt closes. Used only when the console's stream fails. */
    private static final PrintStream RAW_OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
    private static final PrintStream RAW_ERR = new PrintStream(new FileOutputStream(FileDescriptor.err), true);

    /**
     * Whether errors print their stack traces ({@code hotcode.log.stacktraces}): set by the runtime's configuration
     * when it is installed ({@code impl.Config}); until then, the system property.
     */
    private static volatile boolean stacktraces = Boolean.getBoolean("hotcode.log.stacktraces");

    private Log() {
    }

    public static void stacktraces(boolean on) {
        stacktraces = on;
    }

    public static void info(String message) {
        write(System.out, RAW_OUT, "[hotcode] " + message);
    }

    public static void warn(String message) {
        write(System.err, RAW_ERR, "[hotcode] WARNING " + message);
    }

    public static void error(String message, Throwable cause) {
        String text = "[hotcode] ERROR " + message;
        if (cause != null && stacktraces) {
            StringWriter trace = new StringWriter();
            cause.printStackTrace(new java.io.PrintWriter(trace));
            text += System.lineSeparator() + trace.toString().stripTrailing();
        }
        write(System.err, RAW_ERR, text);
    }

    /**
     * Writes {@code line} to {@code stream} with the caller's interrupt flag cleared for the write (a process being
     * killed has one), and to {@code fallback} as well if {@code stream} reports that it failed.
     */
    static void write(PrintStream stream, PrintStream fallback, String line) {
        boolean interrupted = Thread.interrupted();
        try {
            stream.println(line);
            if (stream != fallback && stream.checkError()) {
                fallback.println(line);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
