package hotcode.bench;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.ReleaseResult;
import hotcode.runtime.api.Tuple;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static hotcode.bench.Driver.cfg;
import static hotcode.bench.Driver.fmt;
import static hotcode.bench.Driver.intArg;
import static hotcode.bench.Driver.note;
import static hotcode.bench.Driver.report;
import static hotcode.runtime.api.Hotcode.codeServer;
import static hotcode.runtime.api.Hotcode.exit;
import static hotcode.runtime.api.Hotcode.isAlive;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.sleep;
import static hotcode.runtime.api.Hotcode.spawn;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The release group (issue 11, item 7): a release of 3 modules with {@code release.n} (3,000) servers each, side by
 * side with one module of 3 x n (9,000) servers upgraded by {@code Bundle.update}. The modules are the servers
 * group's benchsrv jars (srv1=, srv2=, srvfaillast=) with their manifest renamed (bundle
 * {@code hotcode.bench.rel.<x>}, module {@code benchrel<x>}): the same code, the same state migration. Rounds
 * alternate release 2 and release 1 (the old code is soft-purged first, untimed). Results:
 * <ul>
 * <li>{@code release_3x3k_install_ms}: wall time of {@code CodeServer.installRelease} (3 bundles updated, 3 modules
 *     prepared, one commit); {@code release_3x3k_log_total_ms}: the runtime's suspend + migrate + commit + resume of
 *     the 9,000 servers, summed from its three "upgraded" log lines;</li>
 * <li>{@code release_single_9k_update_ms} and {@code release_single_9k_log_total_ms}: the same for one module of 9,000
 *     servers ({@code Bundle.update}); {@code release_ratio_install_vs_single} and
 *     {@code release_ratio_log_total_vs_single}: release over single module, per round, wall time and the runtime's
 *     part (the target: a release commits in at most 1.5 times the single module's time);</li>
 * <li>{@code release_3x3k_rollback_ms}: wall time of a release whose last module throws in its last server's
 *     codeChange (so 8,999 servers have migrated), until {@code installRelease} has thrown with every bundle restored;
 *     afterwards every server must answer its version-1 state ({@code release_rollback_check}).</li>
 * </ul>
 * And the longest call during a release: 32 client processes call random servers ({@code inc}) from 300 ms before
 * the install to 300 ms after it ({@code release_lat_during_max_us}, beside {@code release_lat_before_p99_us}), and
 * the same around the single module's update ({@code release_single_lat_*}).
 */
final class ReleaseBench {
    private static final String[] NAMES = {"a", "b", "c"};
    private static final String SERVER_CLASS = "hotcode.bench.server.Counter";

    private ReleaseBench() {
    }

    static Object run() throws Exception {
        String srv1 = cfg.get("srv1"), srv2 = cfg.get("srv2"), fail = cfg.get("srvfaillast");
        if (srv1 == null || srv2 == null || fail == null) {
            note("release_skipped", "the runner was not given srv1=, srv2= and srvfaillast= (the benchsrv jars)");
            return null;
        }
        int n = intArg("release.n", 3_000);
        int rounds = intArg("release.rounds", 5);
        int warm = intArg("release.warmup", 2);
        int settleMs = intArg("release.settle.ms", 100);
        // the failing variant throws in its n-th codeChange: the last server of its module
        System.setProperty("hotcode.bench.servers.n", Integer.toString(n));
        Path dir = Files.createTempDirectory("hotcode-release-bench");
        byte[] v1 = Files.readAllBytes(Path.of(srv1)), v2 = Files.readAllBytes(Path.of(srv2)),
                v2fail = Files.readAllBytes(Path.of(fail));
        StringBuilder r1 = new StringBuilder("release: bench 1.0.0\n"), r2 = new StringBuilder("release: bench 2.0.0\n"),
                rf = new StringBuilder("release: bench 2.0.2\n");
        for (String x : NAMES) {
            Files.write(dir.resolve(x + "-1.jar"), rename(v1, x));
            Files.write(dir.resolve(x + "-2.jar"), rename(v2, x));
            Files.write(dir.resolve(x + "-2fail.jar"), rename(v2fail, x));
            r1.append("module hotcode.bench.rel.").append(x).append(' ').append(x).append("-1.jar\n");
            r2.append("module hotcode.bench.rel.").append(x).append(' ').append(x).append("-2.jar\n");
            rf.append("module hotcode.bench.rel.").append(x).append(' ').append(x)
                    .append(x.equals("c") ? "-2fail.jar\n" : "-2.jar\n");
        }
        Path[] files = {dir.resolve("bench-1.release"), dir.resolve("bench-2.release"), dir.resolve("bench-2fail.release")};
        Files.writeString(files[0], r1);
        Files.writeString(files[1], r2);
        Files.writeString(files[2], rf);

        List<String> problems = new ArrayList<>();
        ServersBench.LogTap.drain();
        java.io.PrintStream out = System.out, err = System.err;
        System.setOut(new ServersBench.LogTap(out));
        System.setErr(new ServersBench.LogTap(err));
        try {
            // ---------------------------------------------------------- 1. the release: 3 modules x n servers
            onPlatformThread(() -> codeServer().installRelease(files[0].toString()));
            List<Pid> pids = new ArrayList<>();
            for (String x : NAMES) {
                pids.addAll(startServers(bundle("hotcode.bench.rel." + x), n));
            }
            double[] install = new double[rounds], logTotal = new double[rounds];
            int cur = 0;
            for (int r = -warm; r < rounds; r++) {
                softPurge(settleMs);
                cur = 1 - cur;
                String file = files[cur].toString();
                long t0 = System.nanoTime();
                ReleaseResult res = onPlatformThread(() -> codeServer().installRelease(file));
                double ms = (System.nanoTime() - t0) / 1e6;
                double log = logTotal(NAMES.length, n);
                if (!res.changed()) {
                    problems.add("round " + r + ": " + res.summary());
                }
                if (r < 0) {
                    note("release_cold_install", "warm-up round " + (r + warm + 1) + ": install_ms=" + fmt(ms)
                            + " log_total_ms=" + fmt(log));
                } else {
                    install[r] = ms;
                    logTotal[r] = log;
                }
            }
            // the longest call during a release: 32 clients call random servers of the three modules
            int nClients = intArg("release.clients", 32);
            Pid[] all = pids.toArray(new Pid[0]);
            double[] relMax = new double[rounds], relP99 = new double[rounds];
            int relFailed = 0;
            for (int r = -warm; r < rounds; r++) {
                softPurge(settleMs);
                cur = 1 - cur;
                String file = files[cur].toString();
                double[] lat = latencyRound(all, nClients, () -> {
                    onPlatformThread(() -> codeServer().installRelease(file));
                    return null;
                });
                ServersBench.LogTap.drain();
                if (r >= 0) {
                    relP99[r] = lat[0];
                    relMax[r] = lat[1];
                    relFailed += (int) lat[2];
                }
            }
            // back to release 1 for the rollback
            if (cur == 1) {
                softPurge(settleMs);
                onPlatformThread(() -> codeServer().installRelease(files[0].toString()));
                cur = 0;
            }
            ServersBench.LogTap.drain();

            // ---------------------------------------------------------- 2. rollback: the last server of the last module
            Tuple[] snapshot = ServersBench.getAll(pids.toArray(new Pid[0]));
            double[] rollback = new double[rounds];
            for (int r = -warm; r < rounds; r++) {
                softPurge(settleMs);
                long t0 = System.nanoTime();
                try {
                    onPlatformThread(() -> codeServer().installRelease(files[2].toString()));
                    problems.add("the failing release installed");
                } catch (HotcodeException expected) {
                    // rolled back: measured until it threw, every bundle restored by then
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                if (r >= 0) {
                    rollback[r] = ms;
                }
            }
            Tuple[] after = ServersBench.getAll(pids.toArray(new Pid[0]));
            int same = 0;
            for (int i = 0; i < after.length; i++) {
                same += snapshot[i].equals(after[i]) ? 1 : 0;
            }
            note("release_rollback_check", "servers=" + after.length + " answering_their_snapshot=" + same);
            stop(pids);

            // ---------------------------------------------------------- 3. one module, 3 x n servers, Bundle.update
            Files.write(dir.resolve("d-1.jar"), rename(v1, "d"));
            Files.write(dir.resolve("d-2.jar"), rename(v2, "d"));
            BundleContext ctx = FrameworkUtil.getBundle(ReleaseBench.class).getBundleContext();
            Bundle d = ctx.installBundle("file:" + dir.resolve("d-1.jar"), new ByteArrayInputStream(rename(v1, "d")));
            d.start();
            List<Pid> single = startServers(d, 3 * n);
            double[] update = new double[rounds], singleLog = new double[rounds], ratio = new double[rounds],
                    logRatio = new double[rounds];
            byte[][] jars = {Files.readAllBytes(dir.resolve("d-1.jar")), Files.readAllBytes(dir.resolve("d-2.jar"))};
            int dv = 0;
            for (int r = -warm; r < rounds; r++) {
                softPurgeD(settleMs);
                dv = 1 - dv;
                byte[] jar = jars[dv];
                long t0 = System.nanoTime();
                onPlatformThread(() -> {
                    d.update(new ByteArrayInputStream(jar));
                    return null;
                });
                double ms = (System.nanoTime() - t0) / 1e6;
                double log = logTotal(1, 3 * n);
                if (r >= 0) {
                    update[r] = ms;
                    singleLog[r] = log;
                }
            }
            double[] singleMax = new double[rounds], singleP99 = new double[rounds];
            int singleFailed = 0;
            Pid[] singleAll = single.toArray(new Pid[0]);
            for (int r = -warm; r < rounds; r++) {
                softPurgeD(settleMs);
                dv = 1 - dv;
                byte[] jar = jars[dv];
                double[] lat = latencyRound(singleAll, nClients, () -> {
                    onPlatformThread(() -> {
                        d.update(new ByteArrayInputStream(jar));
                        return null;
                    });
                    return null;
                });
                ServersBench.LogTap.drain();
                if (r >= 0) {
                    singleP99[r] = lat[0];
                    singleMax[r] = lat[1];
                    singleFailed += (int) lat[2];
                }
            }
            report("release_lat_before_p99_us", "us", relP99);
            report("release_lat_during_max_us", "us", relMax);
            report("release_single_lat_before_p99_us", "us", singleP99);
            report("release_single_lat_during_max_us", "us", singleMax);
            note("release_lat_failed_calls", "release=" + relFailed + " single=" + singleFailed + " clients=" + nClients);
            for (int r = 0; r < rounds; r++) {
                ratio[r] = install[r] / update[r];
                logRatio[r] = logTotal[r] / singleLog[r];
            }
            stop(single);
            report("release_3x3k_install_ms", "ms", install);
            report("release_3x3k_log_total_ms", "ms", logTotal);
            report("release_single_9k_update_ms", "ms", update);
            report("release_single_9k_log_total_ms", "ms", singleLog);
            report("release_ratio_install_vs_single", "x", ratio);
            report("release_ratio_log_total_vs_single", "x", logRatio);
            report("release_3x3k_rollback_ms", "ms", rollback);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        note("release_problems", problems.isEmpty() ? "none" : problems.toString());
        return null;
    }

    /**
     * {@code nClients} processes call random servers of {@code servers} ({@code inc}) for 300 ms, then
     * {@code change} runs, then 300 ms more; returns {p99 of the calls ended before the change (us), the longest call
     * overlapping it (us), failed calls}.
     */
    static double[] latencyRound(Pid[] servers, int nClients, Callable<Void> change) throws Exception {
        Pid me = self();
        ServersBench.stopClients = false;
        ServersBench.Rec[] recs = new ServersBench.Rec[nClients];
        long c0 = System.nanoTime();
        for (int i = 0; i < nClients; i++) {
            ServersBench.Rec rec = new ServersBench.Rec();
            recs[i] = rec;
            spawn(() -> ServersBench.client(servers, rec, me));
        }
        sleep(intArg("release.lat.pre.ms", 300));
        long u0 = System.nanoTime();
        change.call();
        long u1 = System.nanoTime();
        sleep(intArg("release.lat.post.ms", 300));
        ServersBench.stopClients = true;
        for (int i = 0; i < nClients; i++) {
            if (receive(Duration.ofSeconds(30), tuple(ServersBench.CLIENT_DONE, Pid.class)) == null) {
                throw new IllegalStateException("a latency client did not stop within 30 s");
            }
        }
        List<Double> before = new ArrayList<>();
        double duringMax = 0;
        int failed = 0;
        for (ServersBench.Rec rec : recs) {
            failed += rec.failed;
            for (int k = 0; k < rec.n; k++) {
                long a = rec.start[k], e = rec.end[k];
                if (a >= c0 + 50_000_000L && e < u0) {
                    before.add((e - a) / 1e3);
                } else if (a < u1 && e > u0) {
                    duringMax = Math.max(duringMax, (e - a) / 1e3);
                }
            }
        }
        double[] bs = before.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new double[] {bs.length == 0 ? Double.NaN : Driver.pct(bs, 0.99), duringMax, failed};
    }

    /** benchsrv's jar as bundle {@code hotcode.bench.rel.<x>} with module {@code benchrel<x>}. */
    static byte[] rename(byte[] jar, String x) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().putValue("Bundle-SymbolicName", "hotcode.bench.rel." + x);
            mf.getMainAttributes().putValue("Hotcode-Module", "benchrel" + x + ";class=hotcode.bench.server.BenchSrv");
            try (JarOutputStream o = new JarOutputStream(out, mf)) {
                for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                    o.putNextEntry(new JarEntry(e.getName()));
                    in.transferTo(o);
                    o.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    static Bundle bundle(String bsn) {
        BundleContext ctx = FrameworkUtil.getBundle(ReleaseBench.class).getBundleContext();
        return Arrays.stream(ctx.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new IllegalStateException("bundle " + bsn + " is not installed"));
    }

    static List<Pid> startServers(Bundle b, int n) throws Exception {
        Class<?> type = b.loadClass(SERVER_CLASS);
        List<Pid> pids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pids.add(GenServer.start(type, i + 1));
        }
        return pids;
    }

    /** Untimed: drop the old versions (nobody runs them) and let the anchors' asynchronous uninstalls finish. */
    static void softPurge(int settleMs) {
        for (String x : NAMES) {
            PurgeResult p = codeServer().softPurge("benchrel" + x);
            if (!p.purged()) {
                throw new IllegalStateException("soft purge of benchrel" + x + " refused: " + p.blockers().size()
                        + " processes on old code");
            }
        }
        sleep(settleMs);
        ServersBench.LogTap.drain();
    }

    static void softPurgeD(int settleMs) {
        codeServer().softPurge("benchreld");
        sleep(settleMs);
        ServersBench.LogTap.drain();
    }

    /** The runtime's suspend + migrate + commit + resume, summed over the {@code modules} "upgraded" lines logged. */
    static double logTotal(int modules, int n) {
        double total = 0;
        int seen = 0;
        for (ServersBench.LogTap.Line l : ServersBench.LogTap.drain()) {
            java.util.regex.Matcher m = ServersBench.UPGRADED.matcher(l.text());
            if (m.find() && Integer.parseInt(m.group(1)) == n) {
                total += ServersBench.num(m.group(5)) + ServersBench.num(m.group(6));
                seen++;
            }
        }
        if (seen != modules) {
            throw new IllegalStateException("expected " + modules + " 'upgraded " + n + " server(s)' line(s), saw " + seen);
        }
        return total;
    }

    static void stop(List<Pid> pids) {
        for (Pid p : pids) {
            exit(p, hotcode.runtime.api.Hotcode.KILL);
        }
        for (Pid p : pids) {
            while (isAlive(p)) {
                sleep(1);
            }
        }
    }

    /**
     * Runs {@code body} on a new platform thread, as an operator's shell would call it, and waits: called from this
     * process, it would compete for the carriers with the very servers it suspends.
     */
    static <T> T onPlatformThread(Callable<T> body) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                done.complete(body.call());
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "bench-release");
        t.start();
        try {
            return done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
