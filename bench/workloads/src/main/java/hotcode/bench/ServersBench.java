package hotcode.bench;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Tuple;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static hotcode.bench.Driver.cfg;
import static hotcode.bench.Driver.fmt;
import static hotcode.bench.Driver.intArg;
import static hotcode.bench.Driver.median;
import static hotcode.bench.Driver.note;
import static hotcode.bench.Driver.pct;
import static hotcode.bench.Driver.report;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.codeServer;
import static hotcode.runtime.api.Hotcode.exit;
import static hotcode.runtime.api.Hotcode.isAlive;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;
import static hotcode.runtime.api.Hotcode.spawn;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The servers group (issue 5, item 7): 10,000 servers of module {@code benchsrv} ({@code hotcode.bench.server},
 * bench/server.v1 and bench/server.v2: the state record changes shape) upgraded by {@code Bundle.update()}, which
 * suspends them all, runs the new version's {@code codeChange} in each and resumes them, or rolls all back.
 * <ol>
 * <li><b>none</b>: {@code Bundle.update()} of the module with no server running (Felix's own update work);</li>
 * <li><b>upgrade</b>: the same with 10,000 servers, alternating 1.0.0 -> 2.0.0 -> 1.0.0 (each way is a state
 *     migration: v2's codeChange adds a component with {@code Records.convert}, v1's drops it); the runtime's log line
 *     {@code upgraded N server(s) ...: suspend + migrate X ms, commit + resume Y ms} is read from the console (a tap on
 *     System.out/err in this JVM); every server is checked afterwards ({@code get} answers the new version and
 *     migrated state);</li>
 * <li><b>latency</b>: C client processes make back-to-back {@code GenServer.call(server, inc)} to random servers
 *     before, during and after an upgrade; the latency of every call is kept;</li>
 * <li><b>rollback</b>: updates to 2.0.1 (codeChange throws in the server with id n/2) and 2.0.2 (throws in the last
 *     server to migrate): time until {@code update()} returns, the runtime's "rollback took" figure, the time until the
 *     bundle is restored to the old jar (asynchronous, logged {@code restored bundle ...}), and a check that every
 *     server still answers its version 1 state (equal to a snapshot taken before).</li>
 * </ol>
 * {@code Bundle.update()} is called on a fresh platform thread, as an operator's shell (Gogo) would call it; called
 * from a process (a virtual thread), it competes for the 2 carriers with the servers and clients it waits for (in the
 * latency phase that made it 3-17 s instead of ~1 s in validation runs). Before each update, an untimed soft purge
 * drops the previous old version (nothing runs it: every server moved) and the driver waits {@code servers.settle.ms}
 * for the anchor's asynchronous uninstall, so {@code update()} times no purge. Each phase runs {@code servers.warmup}
 * untimed rounds first (reported as notes {@code servers_cold_*}: the first upgrades of a JVM), then
 * {@code servers.rounds} timed ones.
 *
 * <p>Settings ({@code -- key=value} of bench/run.sh): {@code servers.n} (10000), {@code servers.rounds} (5),
 * {@code servers.warmup} (2), {@code servers.clients} (32), {@code servers.lat.pre.ms} / {@code servers.lat.post.ms}
 * (300 / 300: client time before / after the update), {@code servers.settle.ms} (100), {@code servers.phases}
 * ({@code none,upgrade,latency,rollback}).
 */
final class ServersBench {
    static final String MODULE = "benchsrv";
    static final String BSN = "hotcode.bench.server";
    static final String SERVER_CLASS = "hotcode.bench.server.Counter";
    static final Atom GET = atom("get");
    static final Atom INC = atom("inc");
    static final Atom CLIENT_DONE = atom("client_done");
    static final String[] VERSIONS = {"1.0.0", "2.0.0"};

    static final Pattern UPGRADED = Pattern.compile(
            "upgraded (\\d+) server\\(s\\) of (\\S+) (\\S+) -> (\\S+): suspend \\+ migrate ([\\d.,]+) ms, (?:commit \\+ )?resume ([\\d.,]+) ms");
    static final Pattern ROLLED_BACK = Pattern.compile(
            "(\\S+): upgrade (\\S+) -> (\\S+) rolled back; all (\\d+) server\\(s\\) stay on .*\\(rollback took ([\\d.,]+) ms\\)");
    static final String RESTORED = "restored bundle " + BSN + " ";

    /** Set to stop the latency clients. */
    static volatile boolean stopClients;

    private ServersBench() {
    }

    // ------------------------------------------------------------------ the console tap

    /** The runtime logs to System.out/err ({@code [hotcode] ...}): a tee that keeps those lines with their time. */
    static final class LogTap extends PrintStream {
        record Line(long nanos, String text) {
        }

        static final ConcurrentLinkedQueue<Line> LINES = new ConcurrentLinkedQueue<>();

        LogTap(PrintStream to) {
            super(to, true);
        }

        @Override
        public void println(String x) {
            if (x != null && x.startsWith("[hotcode]")) {
                LINES.add(new Line(System.nanoTime(), x));
            }
            super.println(x);
        }

        static List<Line> drain() {
            List<Line> out = new ArrayList<>();
            Line l;
            while ((l = LINES.poll()) != null) {
                out.add(l);
            }
            return out;
        }
    }

    static double num(String s) {
        return Double.parseDouble(s.replace(',', '.'));
    }

    /** The runtime's upgrade line in {@code lines}: {suspend+migrate ms, resume ms, nanoTime it was printed}. */
    static double[] upgraded(List<LogTap.Line> lines, int n, String from, String to) {
        for (LogTap.Line l : lines) {
            Matcher m = UPGRADED.matcher(l.text());
            if (m.find() && m.group(2).equals(MODULE)) {
                if (Integer.parseInt(m.group(1)) != n || !m.group(3).equals(from) || !m.group(4).equals(to)) {
                    throw new IllegalStateException("expected an upgrade of " + n + " servers " + from + " -> " + to
                            + ", the runtime logged: " + l.text());
                }
                return new double[] {num(m.group(5)), num(m.group(6)), l.nanos()};
            }
        }
        throw new IllegalStateException("no 'upgraded " + n + " server(s) of " + MODULE + "' line after the update "
                + from + " -> " + to + "; the runtime logged: " + texts(lines));
    }

    /** The runtime's rollback line: {rollback took ms}. */
    static double rolledBack(List<LogTap.Line> lines, int n, String from, String to) {
        for (LogTap.Line l : lines) {
            Matcher m = ROLLED_BACK.matcher(l.text());
            if (m.find() && m.group(1).equals(MODULE)) {
                if (Integer.parseInt(m.group(4)) != n || !m.group(2).equals(from) || !m.group(3).equals(to)) {
                    throw new IllegalStateException("expected a rollback of " + n + " servers " + from + " -> " + to
                            + ", the runtime logged: " + l.text());
                }
                return num(m.group(5));
            }
        }
        throw new IllegalStateException("no 'rolled back' line of " + MODULE + " after the update " + from + " -> "
                + to + "; the runtime logged: " + texts(lines));
    }

    static String texts(List<LogTap.Line> lines) {
        List<String> t = new ArrayList<>();
        lines.forEach(l -> t.add(l.text()));
        return t.toString();
    }

    // ------------------------------------------------------------------ helpers

    static Bundle bundle() {
        BundleContext ctx = FrameworkUtil.getBundle(Driver.class).getBundleContext();
        return Arrays.stream(ctx.getBundles()).filter(b -> BSN.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new IllegalStateException("bundle " + BSN + " is not installed (runner arg srv1=)"));
    }

    static String current() {
        return codeServer().which(MODULE).flatMap(ModuleInfo::current).map(v -> v.version()).orElse("none");
    }

    /** Untimed: drop the old version (nobody runs it) and let the anchor's asynchronous uninstall finish. */
    static void prepare(int settleMs) {
        PurgeResult p = codeServer().softPurge(MODULE);
        if (!p.purged()) {
            throw new IllegalStateException("soft purge of " + MODULE + " refused: " + p.blockers().size()
                    + " processes on old code");
        }
        sleep(settleMs);
        LogTap.drain();
    }

    /**
     * {@code Bundle.update()} from the jar, called on a new platform thread, as an operator's shell (Gogo) or a
     * management agent would call it; the calling process waits. Returns {start, end} nanoTime of the call.
     */
    static long[] update(Bundle b, String jar) throws Exception {
        byte[] bytes;
        try (InputStream in = new FileInputStream(jar)) {
            bytes = in.readAllBytes();
        }
        CompletableFuture<long[]> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                long a = System.nanoTime();
                b.update(new ByteArrayInputStream(bytes));
                done.complete(new long[] {a, System.nanoTime()});
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "bench-update");
        t.start();
        try {
            return done.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("Bundle.update() of " + BSN + " with " + jar + " failed: " + e.getCause(),
                    e.getCause());
        }
    }

    /** CPU time of this JVM (all threads, user + system), ms, from /proc/self/stat (10 ms ticks); NaN elsewhere. */
    static double cpuMs() {
        try {
            String st = Files.readString(Path.of("/proc/self/stat"));
            String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0; // utime, stime (fields 14, 15), USER_HZ 100
        } catch (Exception | Error e) {
            return Double.NaN;
        }
    }

    static void expectCurrent(String v) {
        String c = current();
        if (!c.equals(v)) {
            throw new IllegalStateException(MODULE + " " + v + " should be current after the update, it is " + c);
        }
    }

    static Pid[] startServers(Bundle b, int n) throws Exception {
        Class<?> type = b.loadClass(SERVER_CLASS);
        Pid[] pids = new Pid[n];
        for (int i = 0; i < n; i++) {
            pids[i] = GenServer.start(type, i + 1);
        }
        return pids;
    }

    static Tuple[] getAll(Pid[] pids) {
        Tuple[] out = new Tuple[pids.length];
        for (int i = 0; i < pids.length; i++) {
            out[i] = (Tuple) GenServer.call(pids[i], GET);
        }
        return out;
    }

    /** Every server answers {@code {vsn, id, _, upgrades}} (its migrated state); returns how many do. */
    static int checkAll(Pid[] pids, int vsn, int upgrades, List<String> problems) {
        Tuple[] all = getAll(pids);
        int good = 0;
        for (int i = 0; i < all.length; i++) {
            Tuple t = all[i];
            if (t.size() == 4 && Integer.valueOf(vsn).equals(t.get(0)) && Integer.valueOf(i + 1).equals(t.get(1))
                    && Integer.valueOf(upgrades).equals(t.get(3))) {
                good++;
            } else if (problems.size() < 5) {
                problems.add("server " + (i + 1) + " answered " + t + ", expected {" + vsn + "," + (i + 1) + ",_,"
                        + upgrades + "}");
            }
        }
        return good;
    }

    // ------------------------------------------------------------------ the latency clients

    /** One client's calls: start and end nanoTime of each, and how many failed. */
    static final class Rec {
        long[] start = new long[1 << 15];
        long[] end = new long[1 << 15];
        int n;
        int failed;

        void add(long a, long b) {
            if (n == start.length) {
                start = Arrays.copyOf(start, n * 2);
                end = Arrays.copyOf(end, n * 2);
            }
            start[n] = a;
            end[n] = b;
            n++;
        }
    }

    static Next client(Pid[] servers, Rec rec, Pid driver) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (!stopClients) {
            Pid s = servers[rnd.nextInt(servers.length)];
            long a = System.nanoTime();
            try {
                GenServer.call(s, INC);
            } catch (RuntimeException e) {
                rec.failed++;
                continue;
            }
            rec.add(a, System.nanoTime());
        }
        send(driver, tuple(CLIENT_DONE, self()));
        return Next.done();
    }

    // ------------------------------------------------------------------ the benchmark

    static Object run() throws Exception {
        String srv1 = cfg.get("srv1");
        String srv2 = cfg.get("srv2");
        if (srv1 == null || srv2 == null) {
            note("servers_skipped", "the runner was not given srv1= and srv2= (the benchsrv jars)");
            return null;
        }
        String[] jars = {srv1, srv2};
        int n = intArg("servers.n", 10_000);
        int rounds = intArg("servers.rounds", 5);
        int warm = intArg("servers.warmup", 2);
        int nClients = intArg("servers.clients", 32);
        int preMs = intArg("servers.lat.pre.ms", 300);
        int postMs = intArg("servers.lat.post.ms", 300);
        int settleMs = intArg("servers.settle.ms", 100);
        List<String> phases = Arrays.asList(cfg.getOrDefault("servers.phases", "none,upgrade,latency,rollback").split(","));
        System.setProperty("hotcode.bench.servers.n", Integer.toString(n)); // read by the failing variants
        Bundle b = bundle();
        if (!current().equals(VERSIONS[0])) {
            throw new IllegalStateException(MODULE + " " + VERSIONS[0] + " should be current at the start, it is " + current());
        }
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(new LogTap(out));
        System.setErr(new LogTap(err));
        List<String> problems = new ArrayList<>();
        try {
            int[] vi = {0}; // index of the version now current

            // ---------------------------------------------------------- 1. update with no server running
            double[] none = new double[rounds];
            for (int r = phases.contains("none") ? -warm : rounds; r < rounds; r++) {
                prepare(settleMs);
                vi[0] = 1 - vi[0];
                long[] t = update(b, jars[vi[0]]);
                expectCurrent(VERSIONS[vi[0]]);
                double ms = (t[1] - t[0]) / 1e6;
                if (r < 0) {
                    note("servers_cold_update_no_servers", "warm-up round " + (r + warm + 1) + ": update_ms=" + fmt(ms));
                } else {
                    none[r] = ms;
                }
            }
            backToV1(b, jars, vi, settleMs);

            // ---------------------------------------------------------- 2. upgrade of n servers
            long s0 = System.nanoTime();
            Pid[] pids = startServers(b, n);
            double startS = (System.nanoTime() - s0) / 1e9;
            int ok = checkAll(pids, 1, 0, problems);
            note("servers_start", String.format(Locale.ROOT, "started=%d in_s=%s answering_v1=%d", n, fmt(startS), ok));
            double[] upd = new double[rounds], sm = new double[rounds], res = new double[rounds], total = new double[rounds];
            int[] checked = new int[warm + rounds];
            double[] cpu = new double[rounds];
            for (int r = phases.contains("upgrade") ? -warm : rounds; r < rounds; r++) {
                prepare(settleMs);
                String from = VERSIONS[vi[0]];
                vi[0] = 1 - vi[0];
                double cpu0 = cpuMs();
                long[] t = update(b, jars[vi[0]]);
                double cpuUsed = cpuMs() - cpu0;
                double[] log = upgraded(LogTap.drain(), n, from, VERSIONS[vi[0]]);
                expectCurrent(VERSIONS[vi[0]]);
                checked[r + warm] = checkAll(pids, vi[0] + 1, vi[0], problems);
                double ms = (t[1] - t[0]) / 1e6;
                if (r < 0) {
                    note("servers_cold_upgrade", String.format(Locale.ROOT,
                            "warm-up round %d %s->%s: update_ms=%s suspend_migrate_ms=%s resume_ms=%s", r + warm + 1, from,
                            VERSIONS[vi[0]], fmt(ms), fmt(log[0]), fmt(log[1])));
                } else {
                    upd[r] = ms;
                    sm[r] = log[0];
                    res[r] = log[1];
                    total[r] = log[0] + log[1];
                    cpu[r] = cpuUsed;
                }
            }
            if (phases.contains("none")) {
                report("servers_update_no_servers_ms", "ms", none);
            }
            if (phases.contains("upgrade")) {
                report("servers_log_total_10k_ms", "ms", total);
                report("servers_log_suspend_migrate_10k_ms", "ms", sm);
                report("servers_log_resume_10k_ms", "ms", res);
                report("servers_update_10k_ms", "ms", upd);
                report("servers_update_10k_cpu_ms", "ms", cpu);
                if (phases.contains("none")) {
                    double noneMedian = median(none);
                    double[] extra = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        extra[r] = upd[r] - noneMedian;
                    }
                    report("servers_update_10k_extra_ms", "ms", extra);
                }
                note("servers_upgrade_check", "servers=" + n + " answering_new_version_and_migrated_state_per_round="
                        + Arrays.toString(checked).replace(" ", ""));
            }

            // ---------------------------------------------------------- 3. call latency across an upgrade
            if (phases.contains("latency")) {
                latency(b, jars, vi, pids, n, nClients, rounds, warm, preMs, postMs, settleMs, problems);
            }

            // ---------------------------------------------------------- 4. rollback
            backToV1(b, jars, vi, settleMs);
            Tuple[] snapshot = getAll(pids);
            String[][] variants = {{"mid", cfg.get("srvfailmid"), "2.0.1"}, {"last", cfg.get("srvfaillast"), "2.0.2"}};
            for (String[] v : phases.contains("rollback") ? variants : new String[0][]) {
                if (v[1] == null) {
                    note("servers_rollback_" + v[0] + "_skipped", "no jar (runner arg srvfail" + v[0] + "=)");
                    continue;
                }
                rollback(b, v[0], v[1], v[2], jars[0], pids, snapshot, n, rounds, warm, settleMs, problems);
            }

            for (Pid p : pids) {
                exit(p, hotcode.runtime.api.Hotcode.KILL);
            }
            for (Pid p : pids) {
                while (isAlive(p)) {
                    sleep(1);
                }
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        note("servers_problems", problems.isEmpty() ? "none" : problems.toString());
        return null;
    }

    static void backToV1(Bundle b, String[] jars, int[] vi, int settleMs) throws Exception {
        if (vi[0] != 0) {
            prepare(settleMs);
            vi[0] = 0;
            update(b, jars[0]);
            expectCurrent(VERSIONS[0]);
            LogTap.drain();
        }
    }

    static void latency(Bundle b, String[] jars, int[] vi, Pid[] pids, int n, int nClients, int rounds, int warm,
                        int preMs, int postMs, int settleMs, List<String> problems) throws Exception {
        double[] updMs = new double[rounds], logTotal = new double[rounds];
        double[] bP50 = new double[rounds], bP99 = new double[rounds], bMax = new double[rounds];
        double[] dP99 = new double[rounds], dMax = new double[rounds], dCount = new double[rounds];
        double[] sMax = new double[rounds], bRate = new double[rounds], dRate = new double[rounds];
        List<Double> poolBefore = new ArrayList<>();
        List<Double> poolDuring = new ArrayList<>();
        int failed = 0;
        int[] checked = new int[warm + rounds];
        Pid me = self();
        for (int r = -warm; r < rounds; r++) {
            prepare(settleMs);
            stopClients = false;
            Rec[] recs = new Rec[nClients];
            long c0 = System.nanoTime();
            for (int i = 0; i < nClients; i++) {
                Rec rec = new Rec();
                recs[i] = rec;
                spawn(() -> client(pids, rec, me));
            }
            sleep(preMs);
            String from = VERSIONS[vi[0]];
            vi[0] = 1 - vi[0];
            long[] t = update(b, jars[vi[0]]);
            sleep(postMs);
            stopClients = true;
            for (int i = 0; i < nClients; i++) {
                if (receive(Duration.ofSeconds(30), tuple(CLIENT_DONE, Pid.class)) == null) {
                    throw new IllegalStateException("a latency client did not stop within 30 s");
                }
            }
            double[] log = upgraded(LogTap.drain(), n, from, VERSIONS[vi[0]]);
            expectCurrent(VERSIONS[vi[0]]);
            checked[r + warm] = checkAll(pids, vi[0] + 1, vi[0], problems);
            long u0 = t[0];
            long u1 = t[1];
            // the servers were suspended at most from (log line printed - suspend+migrate - resume) to the line
            long susp1 = (long) log[2];
            long susp0 = susp1 - (long) ((log[0] + log[1]) * 1e6);
            long warmFrom = c0 + 50_000_000L; // the clients' first 50 ms are not counted
            List<Double> before = new ArrayList<>();
            List<Double> during = new ArrayList<>();
            double suspendedMax = 0;
            List<long[]> all = new ArrayList<>();
            for (Rec rec : recs) {
                failed += rec.failed;
                for (int k = 0; k < rec.n; k++) {
                    long a = rec.start[k];
                    long e = rec.end[k];
                    double us = (e - a) / 1e3;
                    if (a >= warmFrom && e < u0) {
                        before.add(us);
                    } else if (a < u1 && e > u0) {
                        during.add(us);
                    }
                    if (a < susp1 && e > susp0) {
                        suspendedMax = Math.max(suspendedMax, us);
                    }
                    if (r == rounds - 1) {
                        all.add(new long[] {a, e});
                    }
                }
            }
            double[] bs = before.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double[] ds = during.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double ms = (u1 - u0) / 1e6;
            if (r < 0) {
                note("servers_cold_latency", String.format(Locale.ROOT,
                        "warm-up round %d: update_ms=%s before_p99_us=%s during_max_us=%s calls_during=%d",
                        r + warm + 1, fmt(ms), bs.length == 0 ? "n/a" : fmt(pct(bs, 0.99)),
                        ds.length == 0 ? "n/a" : fmt(ds[ds.length - 1]), ds.length));
                continue;
            }
            updMs[r] = ms;
            logTotal[r] = log[0] + log[1];
            if (bs.length > 0) {
                bP50[r] = pct(bs, 0.5);
                bP99[r] = pct(bs, 0.99);
                bMax[r] = bs[bs.length - 1];
                bRate[r] = bs.length / ((u0 - warmFrom) / 1e9);
            }
            if (ds.length > 0) {
                dP99[r] = pct(ds, 0.99);
                dMax[r] = ds[ds.length - 1];
            }
            dCount[r] = ds.length;
            dRate[r] = ds.length / ((u1 - u0) / 1e9);
            sMax[r] = suspendedMax;
            before.forEach(poolBefore::add);
            during.forEach(poolDuring::add);
            if (r == rounds - 1) {
                writeLatencies(all, u0, u1, susp0, susp1);
            }
        }
        report("servers_lat_before_p50_us", "us", bP50);
        report("servers_lat_before_p99_us", "us", bP99);
        report("servers_lat_before_max_us", "us", bMax);
        report("servers_lat_during_p99_us", "us", dP99);
        report("servers_lat_during_max_us", "us", dMax);
        report("servers_lat_suspended_max_us", "us", sMax);
        report("servers_lat_during_calls", "calls", dCount);
        report("servers_lat_before_calls_per_s", "calls/s", bRate);
        report("servers_lat_during_calls_per_s", "calls/s", dRate);
        report("servers_lat_update_ms", "ms", updMs);
        report("servers_lat_log_total_ms", "ms", logTotal);
        double[] pb = poolBefore.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] pd = poolDuring.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (pb.length > 0 && pd.length > 0) {
            note("servers_lat_pooled", String.format(Locale.ROOT,
                    "clients=%d before: calls=%d p50_us=%s p99_us=%s p999_us=%s max_us=%s | during update(): calls=%d "
                            + "p50_us=%s p99_us=%s max_us=%s | failed_calls=%d",
                    nClients, pb.length, fmt(pct(pb, 0.5)), fmt(pct(pb, 0.99)), fmt(pct(pb, 0.999)), fmt(pb[pb.length - 1]),
                    pd.length, fmt(pct(pd, 0.5)), fmt(pct(pd, 0.99)), fmt(pd[pd.length - 1]), failed));
        }
        note("servers_latency_check", "servers=" + n + " answering_new_version_and_migrated_state_per_round="
                + Arrays.toString(checked).replace(" ", "") + " failed_calls=" + failed);
    }

    /** Every call of the last latency round, for a plot: start relative to update() start, latency. */
    static void writeLatencies(List<long[]> calls, long u0, long u1, long susp0, long susp1) throws Exception {
        String tl = cfg.get("timeline");
        if (tl == null) {
            return;
        }
        Path p = Path.of(tl).resolveSibling("servers-latency.tsv");
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(p))) {
            w.printf(Locale.ROOT, "# update() %.3f .. %.3f ms; servers suspended at most %.3f .. %.3f ms (from the runtime's log)%n",
                    0.0, (u1 - u0) / 1e6, (susp0 - u0) / 1e6, (susp1 - u0) / 1e6);
            w.println("# call_start_ms_rel_update\tlatency_us");
            for (long[] c : calls) {
                w.printf(Locale.ROOT, "%.3f\t%.1f%n", (c[0] - u0) / 1e6, (c[1] - c[0]) / 1e3);
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(tl).resolveSibling("servers-latency.events.tsv")))) {
            w.println("# t_ms_rel_update event");
            w.printf(Locale.ROOT, "%.3f update_start%n%.3f update_end%n%.3f suspend_start%n%.3f resume_end%n", 0.0,
                    (u1 - u0) / 1e6, (susp0 - u0) / 1e6, (susp1 - u0) / 1e6);
        }
    }

    static void rollback(Bundle b, String name, String jar, String version, String fromJar, Pid[] pids, Tuple[] snapshot, int n,
                         int rounds, int warm, int settleMs, List<String> problems) throws Exception {
        double[] updMs = new double[rounds], logMs = new double[rounds];
        List<Double> restoreMs = new ArrayList<>();
        int restoreFailures = 0;
        int[] intact = new int[warm + rounds];
        String from = current();
        for (int r = -warm; r < rounds; r++) {
            prepare(settleMs);
            long[] t = update(b, jar);
            List<LogTap.Line> lines = LogTap.drain();
            double took = rolledBack(lines, n, from, version);
            expectCurrent(from);
            // the bundle goes back to the old jar asynchronously: wait for the runtime's "restored bundle" line (or
            // its report that it could not restore, after which the driver restores the bundle itself, untimed)
            long restoredAt = -1;
            String restoreFailure = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (restoredAt < 0 && restoreFailure == null) {
                for (LogTap.Line l : lines) {
                    if (l.text().contains(RESTORED)) {
                        if (!l.text().contains(RESTORED + "to " + from + " after the rollback")) {
                            restoreFailure = "the runtime restored the wrong content: " + l.text();
                        }
                        restoredAt = l.nanos();
                        break;
                    }
                    if (l.text().contains("could not rebuild the jar") || l.text().contains("could not restore")) {
                        restoreFailure = l.text();
                        break;
                    }
                }
                if (restoredAt < 0 && restoreFailure == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("bundle " + BSN + " was not restored within 30 s after the "
                                + "rolled-back update to " + version + "; the runtime logged: " + texts(lines));
                    }
                    sleep(1);
                    lines.addAll(LogTap.drain());
                }
            }
            if (restoreFailure != null) {
                restoreFailures++;
                if (restoreFailures == 1 && problems.size() < 8) { // the first of each variant; the check note counts them
                    problems.add("rollback " + name + " round " + (r + warm + 1) + ": " + restoreFailure);
                }
                restoredAt = -1;
                sleep(100);
                update(b, fromJar); // what the runtime should have done: the code server takes it as the restore
                List<LogTap.Line> after = LogTap.drain();
                // taken as the restore, or (when the runtime already "restored" wrong content) as an upgrade to it
                if (after.stream().noneMatch(l -> l.text().contains(RESTORED + "to " + from + " after the rollback")
                        || l.text().contains("server(s) of " + MODULE + " " + from + " -> " + from + ":"))) {
                    throw new IllegalStateException("the driver's own restore of " + BSN + " to " + from
                            + " was not taken as the restore; the runtime logged: " + texts(after));
                }
            }
            while (b.getState() != Bundle.ACTIVE || !b.getVersion().toString().equals(from)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("bundle " + BSN + " is " + b.getVersion() + " state " + b.getState()
                            + " after its restore, expected " + from + " ACTIVE");
                }
                sleep(1);
            }
            expectCurrent(from);
            Tuple[] now = getAll(pids);
            int same = 0;
            for (int i = 0; i < n; i++) {
                if (now[i].equals(snapshot[i])) {
                    same++;
                } else if (problems.size() < 5) {
                    problems.add("after the rollback to " + from + " server " + (i + 1) + " answers " + now[i]
                            + ", before it answered " + snapshot[i]);
                }
            }
            intact[r + warm] = same;
            double ms = (t[1] - t[0]) / 1e6;
            double rest = restoredAt < 0 ? Double.NaN : (restoredAt - t[1]) / 1e6;
            if (r < 0) {
                note("servers_cold_rollback_" + name, String.format(Locale.ROOT,
                        "warm-up round %d: update_ms=%s rollback_took_ms=%s restored_after_ms=%s", r + warm + 1, fmt(ms),
                        fmt(took), fmt(rest)));
            } else {
                updMs[r] = ms;
                logMs[r] = took;
                if (!Double.isNaN(rest)) {
                    restoreMs.add(rest);
                }
            }
        }
        report("servers_rollback_" + name + "_update_ms", "ms", updMs);
        report("servers_rollback_" + name + "_log_ms", "ms", logMs);
        if (restoreMs.isEmpty()) {
            note("servers_rollback_" + name + "_restore_ms", "n/a: the runtime did not restore the bundle in any round "
                    + "(see servers_problems); the driver restored it from the old jar");
        } else {
            report("servers_rollback_" + name + "_restore_ms", "ms", restoreMs.stream().mapToDouble(Double::doubleValue).toArray());
        }
        note("servers_rollback_" + name + "_check", "servers=" + n + " variant=" + version
                + " still_on_" + from + "_with_unchanged_state_per_round=" + Arrays.toString(intact).replace(" ", "")
                + " runtime_restore_failed_rounds=" + restoreFailures + "/" + (warm + rounds));
    }
}
