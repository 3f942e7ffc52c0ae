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
 *
 * <p>When the OSGi Log Service is there, every entry also goes to it ({@link #sink}): to a logger per
 * {@link Concern} ({@code hotcode.code}, {@code hotcode.upgrade}, ...) at its level, an error with its
 * {@link Throwable}, so Felix's {@code log} command, Karaf's {@code log:display} and log pipelines see what the
 * console shows, and the stack traces and {@link #debug} entries the console leaves out. The console lines stay the
 * same with or without it. This package knows nothing of OSGi: the runtime's activator installs the sink.
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

    /** What an entry is about: the name of its Log Service logger. */
    public enum Concern {
        /** Loads, purges, deletes: what the code server does to module versions. */
        CODE("hotcode.code"),
        /** The upgrade transaction: migrations, rollbacks, restores. */
        UPGRADE("hotcode.upgrade"),
        /** Processes, dead letters, the system monitor. */
        PROCESS("hotcode.process"),
        /** Servers and supervisors. */
        SERVER("hotcode.server"),
        /** Module bundles, releases, the framework. */
        OSGI("hotcode.osgi"),
        /** Everything else: start, stop, configuration, the console. */
        RUNTIME("hotcode.runtime");

        public final String logger;

        Concern(String logger) {
            this.logger = logger;
        }

        /**
         * The concern of code in {@code type}'s package, for entries logged without one: a call site then needs no
         * change to reach its logger.
         */
        static Concern of(Class<?> type) {
            String p = type.getPackageName();
            return switch (p.substring(p.lastIndexOf('.') + 1)) {
                case "code" -> CODE;
                case "upgrade" -> UPGRADE;
                case "process" -> PROCESS;
                case "server" -> SERVER;
                case "osgi" -> OSGI;
                default -> RUNTIME;
            };
        }
    }

    public enum Level { DEBUG, INFO, WARN, ERROR }

    /** Where entries go besides the console: the Log Service, when the activator finds one. Must not throw. */
    public interface Sink {
        void log(Level level, Concern concern, String message, Throwable cause);
    }

    private static final StackWalker CALLER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    private static volatile Sink sink;

    private Log() {
    }

    /** Installs the sink (the activator, on start), or removes it with null (on stop). */
    public static void sink(Sink s) {
        sink = s;
    }

    public static void stacktraces(boolean on) {
        stacktraces = on;
    }

    /** Information, with the concern of the caller's package. */
    public static void info(String message) {
        info(null, message);
    }

    public static void info(Concern concern, String message) {
        write(System.out, RAW_OUT, "[hotcode] " + message);
        toSink(Level.INFO, concern, message, null);
    }

    /** A warning, with the concern of the caller's package. */
    public static void warn(String message) {
        warn(null, message);
    }

    public static void warn(Concern concern, String message) {
        write(System.err, RAW_ERR, "[hotcode] WARNING " + message);
        toSink(Level.WARN, concern, message, null);
    }

    /**
     * An entry for the Log Service only (debug level), e.g. the stack trace of a failure the console reports in one
     * line; nothing without one.
     */
    public static void debug(Concern concern, String message, Throwable cause) {
        toSink(Level.DEBUG, concern, message, cause);
    }

    /** An error, with the concern of the caller's package. */
    public static void error(String message, Throwable cause) {
        error(null, message, cause);
    }

    /**
     * An error: the Log Service gets it with {@code cause} (its stack trace); the console gets the line, and the
     * stack trace only when {@code hotcode.log.stacktraces} is on.
     */
    public static void error(Concern concern, String message, Throwable cause) {
        String text = "[hotcode] ERROR " + message;
        if (cause != null && stacktraces) {
            StringWriter trace = new StringWriter();
            cause.printStackTrace(new java.io.PrintWriter(trace));
            text += System.lineSeparator() + trace.toString().stripTrailing();
        }
        write(System.err, RAW_ERR, text);
        toSink(Level.ERROR, concern, message, cause);
    }

    /**
     * Hands the entry to the sink, if there is one, with the caller's interrupt flag cleared as for the console (a
     * Log Service may write through interruptible channels too). The caller's concern is looked up only then.
     */
    private static void toSink(Level level, Concern concern, String message, Throwable cause) {
        Sink s = sink;
        if (s == null) {
            return;
        }
        if (concern == null) {
            concern = CALLER.walk(frames -> frames.map(StackWalker.StackFrame::getDeclaringClass)
                    .filter(c -> c != Log.class).findFirst().map(Concern::of).orElse(Concern.RUNTIME));
        }
        boolean interrupted = Thread.interrupted();
        try {
            s.log(level, concern, message, cause);
        } catch (RuntimeException | LinkageError e) {
            // the Log Service went away under us, or failed: the console has the line
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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
