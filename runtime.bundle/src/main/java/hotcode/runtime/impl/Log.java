package hotcode.runtime.impl;

/**
 * The runtime's log: one line per event on the console (standard output for information, standard error for
 * problems), prefixed {@code [hotcode]}. The console is where an operator running an upgrade is looking.
 */
public final class Log {
    private Log() {
    }

    public static void info(String message) {
        System.out.println("[hotcode] " + message);
    }

    public static void warn(String message) {
        System.err.println("[hotcode] WARNING " + message);
    }

    public static void error(String message, Throwable cause) {
        System.err.println("[hotcode] ERROR " + message);
        if (cause != null && Config.current().logStacktraces()) {
            cause.printStackTrace();
        }
    }
}
