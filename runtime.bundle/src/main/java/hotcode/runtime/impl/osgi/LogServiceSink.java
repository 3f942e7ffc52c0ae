package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.log.Log;
import org.osgi.framework.BundleContext;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.util.tracker.ServiceTracker;

import java.util.EnumMap;
import java.util.Map;

/**
 * The runtime's log into the OSGi Log Service (R7 {@link LoggerFactory}): one {@link Logger} per {@link Log.Concern},
 * got from whichever LoggerFactory is there at the time (a tracker follows it coming and going). Installed as
 * {@link Log}'s sink by {@link #open}, only when the runtime is wired to {@code org.osgi.service.log} (its import is
 * optional): without that package this class is never loaded.
 */
public final class LogServiceSink implements Log.Sink, AutoCloseable {
    private final ServiceTracker<LoggerFactory, Loggers> tracker;

    /** A factory's loggers, got once per concern: the Log Service keeps no cache of its own for us. */
    private record Loggers(Map<Log.Concern, Logger> byConcern) {
        static Loggers of(LoggerFactory factory) {
            Map<Log.Concern, Logger> m = new EnumMap<>(Log.Concern.class);
            for (Log.Concern c : Log.Concern.values()) {
                m.put(c, factory.getLogger(c.logger));
            }
            return new Loggers(m);
        }
    }

    private LogServiceSink(BundleContext context) {
        tracker = new ServiceTracker<>(context, LoggerFactory.class, null) {
            @Override
            public Loggers addingService(org.osgi.framework.ServiceReference<LoggerFactory> ref) {
                LoggerFactory f = context.getService(ref);
                return f == null ? null : Loggers.of(f);
            }

            @Override
            public void removedService(org.osgi.framework.ServiceReference<LoggerFactory> ref, Loggers loggers) {
                context.ungetService(ref);
            }
        };
    }

    /**
     * Tracks the Log Service and installs the sink into {@link Log}; returns what removes it, or null when the
     * runtime is not wired to the Log Service's package (nothing is logged there then, the console is unchanged).
     */
    public static AutoCloseable open(BundleContext context) {
        try {
            Class.forName("org.osgi.service.log.LoggerFactory", false, LogServiceSink.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
        LogServiceSink sink = new LogServiceSink(context);
        sink.tracker.open();
        Log.sink(sink);
        return sink;
    }

    @Override
    public void log(Log.Level level, Log.Concern concern, String message, Throwable cause) {
        Loggers loggers = tracker.getService();
        if (loggers == null) {
            return;
        }
        Logger l = loggers.byConcern().get(concern);
        switch (level) {
            case DEBUG -> {
                if (l.isDebugEnabled()) {
                    l.debug("{}", message, cause); // "{}": a message's own braces are not placeholders
                }
            }
            case INFO -> l.info(message);
            case WARN -> l.warn(message);
            case ERROR -> {
                if (cause == null) {
                    l.error(message);
                } else {
                    l.error("{}", message, cause);
                }
            }
        }
    }

    @Override
    public void close() {
        Log.sink(null);
        tracker.close();
    }
}
