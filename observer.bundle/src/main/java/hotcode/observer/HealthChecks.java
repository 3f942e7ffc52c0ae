package hotcode.observer;

import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.SystemAlert;
import hotcode.runtime.spi.Access;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.ProcessRow;
import hotcode.runtime.spi.RuntimeAccess;
import org.apache.felix.hc.api.FormattingResultLog;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Felix Health Checks (tag {@code hotcode}), registered only when the Health Check API is installed (the bundle
 * imports it optionally; {@link ObserverActivator} calls this class only after checking the package is wired):
 * <ul>
 * <li>{@code Hotcode old code}: WARN when a module has had old code longer than
 *     {@code hotcode.observer.hc.oldcode.seconds} (300): someone loaded a version and forgot to purge;</li>
 * <li>{@code Hotcode purge blockers}: CRITICAL while processes a purge could not stop still run purged code (the
 *     system monitor's {@code runs_purged_code}), naming them;</li>
 * <li>{@code Hotcode mailboxes}: WARN when a mailbox holds more than {@code hotcode.observer.hc.mailbox} (10000)
 *     messages, naming the process;</li>
 * <li>{@code Hotcode dead letters}: WARN when more than {@code hotcode.observer.hc.deadletters.per.minute} (60) dead
 *     letters a minute arrived since the previous execution.</li>
 * </ul>
 * Each reads the runtime only when executed; nothing runs between executions.
 */
final class HealthChecks {
    private final long oldCodeMillis;
    private final int mailboxLimit;
    private final double deadLettersPerMinute;
    /** When the check first saw a module with old code (when the timeline no longer has the load). */
    private final Map<String, Long> oldSince = new ConcurrentHashMap<>();
    private long lastDeadLetters = -1;
    private long lastAt;

    HealthChecks(BundleContext ctx) {
        oldCodeMillis = 1000 * longProperty(ctx, "hotcode.observer.hc.oldcode.seconds", 300);
        mailboxLimit = (int) longProperty(ctx, "hotcode.observer.hc.mailbox", 10_000);
        deadLettersPerMinute = longProperty(ctx, "hotcode.observer.hc.deadletters.per.minute", 60);
    }

    List<ServiceRegistration<?>> register(BundleContext ctx) {
        List<ServiceRegistration<?>> regs = new ArrayList<>();
        regs.add(register(ctx, "Hotcode old code", this::oldCode));
        regs.add(register(ctx, "Hotcode purge blockers", this::purgeBlockers));
        regs.add(register(ctx, "Hotcode mailboxes", this::mailboxes));
        regs.add(register(ctx, "Hotcode dead letters", this::deadLetters));
        return regs;
    }

    private static ServiceRegistration<?> register(BundleContext ctx, String name, HealthCheck check) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(HealthCheck.NAME, name);
        props.put(HealthCheck.TAGS, new String[] {"hotcode"});
        return ctx.registerService(HealthCheck.class, () -> {
            try {
                return check.execute();
            } catch (RuntimeException e) { // the runtime is not running: says so, names the bundle
                return new Result(Result.Status.TEMPORARILY_UNAVAILABLE, String.valueOf(e.getMessage()));
            }
        }, props);
    }

    Result oldCode() {
        RuntimeAccess rt = Access.get();
        FormattingResultLog log = new FormattingResultLog();
        long now = System.currentTimeMillis();
        Map<String, Long> loadedAt = new java.util.HashMap<>();
        for (Observation.CodeEvent e : rt.observation().codeEvents(0)) {
            if (e.kind().equals("loaded") && e.module() != null) {
                loadedAt.put(e.module(), e.at().toEpochMilli());
            }
        }
        boolean any = false;
        for (ModuleInfo m : rt.codeServer().modules()) {
            if (m.old().isEmpty()) {
                oldSince.remove(m.name());
                continue;
            }
            long since = loadedAt.getOrDefault(m.name(), oldSince.computeIfAbsent(m.name(), k -> now));
            long age = now - since;
            any = true;
            String what = m.name() + " " + m.old().get().version() + " is old code for "
                    + FormattingResultLog.msHumanReadable(age) + ", run by " + m.old().get().processes() + " process(es)";
            if (age > oldCodeMillis) {
                log.warn("{} (longer than {}): purge it when they are done", what,
                        FormattingResultLog.msHumanReadable(oldCodeMillis));
            } else {
                log.info(what);
            }
        }
        if (!any) {
            log.info("no module has old code");
        }
        return new Result(log);
    }

    Result purgeBlockers() {
        FormattingResultLog log = new FormattingResultLog();
        int n = 0;
        for (SystemAlert a : Access.get().systemAlerts()) {
            if (a.kind() == SystemAlert.Kind.RUNS_PURGED_CODE) {
                log.critical("{} still runs purged code of {} {} (since {}): kill it", a.pid(), a.module(),
                        a.version(), a.since());
                n++;
            }
        }
        if (n == 0) {
            log.info("no process runs purged code");
        }
        return new Result(log);
    }

    Result mailboxes() {
        FormattingResultLog log = new FormattingResultLog();
        int n = 0;
        for (ProcessRow r : Access.get().observation().processes(mailboxLimit + 1,
                java.util.EnumSet.of(Observation.Column.MAILBOX))) {
            if (r.mailbox() > mailboxLimit && n++ < 20) {
                ProcessRow whole = Access.get().observation().row(r.id(), mailboxLimit + 1);
                log.warn("{}{} has more than {} messages waiting ({})", r.pid(),
                        whole == null || whole.name() == null ? "" : " (" + whole.name() + ")", mailboxLimit,
                        whole == null || whole.function() == null ? "no module code" : whole.function());
            }
        }
        if (n == 0) {
            log.info("no mailbox holds more than {} messages", mailboxLimit);
        } else if (n > 20) {
            log.warn("and {} more processes", n - 20);
        }
        return new Result(log);
    }

    synchronized Result deadLetters() {
        FormattingResultLog log = new FormattingResultLog();
        long now = System.currentTimeMillis();
        Observation.Totals t = Access.get().observation().totals();
        if (lastDeadLetters < 0) {
            log.info("{} dead letters so far {}; the rate is known from the next execution", t.deadLetters(),
                    t.deadLettersByReason());
        } else {
            double minutes = Math.max(1, now - lastAt) / 60_000.0;
            double rate = (t.deadLetters() - lastDeadLetters) / minutes;
            if (rate > deadLettersPerMinute) {
                log.warn("dead letters are rising: {} a minute since the last check (limit {}); by reason {}",
                        String.format("%.1f", rate), deadLettersPerMinute, t.deadLettersByReason());
            } else {
                log.info("{} dead letters a minute since the last check; {} in all", String.format("%.1f", rate),
                        t.deadLetters());
            }
        }
        lastDeadLetters = t.deadLetters();
        lastAt = now;
        return new Result(log);
    }

    /** A framework property ({@code ctx} null: the defaults, as in unit tests). */
    private static long longProperty(BundleContext ctx, String key, long dflt) {
        String v = ctx == null ? null : ctx.getProperty(key);
        try {
            return v == null ? dflt : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
