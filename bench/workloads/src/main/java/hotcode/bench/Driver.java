package hotcode.bench;

import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.PurgeResult;
import hotcode.runtime.api.Tuple;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

import static hotcode.bench.Bench.DONE;
import static hotcode.bench.Bench.GO;
import static hotcode.bench.Bench.JUNK;
import static hotcode.bench.Bench.PING;
import static hotcode.bench.Bench.PONG;
import static hotcode.bench.Bench.RING_DONE;
import static hotcode.bench.Bench.SENT;
import static hotcode.bench.Bench.STOP;
import static hotcode.bench.Bench.TOKEN;
import static hotcode.runtime.api.Hotcode.ANY;
import static hotcode.runtime.api.Hotcode.call;
import static hotcode.runtime.api.Hotcode.codeServer;
import static hotcode.runtime.api.Hotcode.isAlive;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.sleep;
import static hotcode.runtime.api.Hotcode.spawn;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The benchmark harness, run inside Felix by hotcode.bench.runner.BenchMain (which calls {@link #run} by
 * reflection). Mirrors the Erlang peer: each benchmark runs in a fresh driver process, 1 untimed warm-up at reduced
 * size, then REPS timed runs; prints {@code RESULT hotcode <name> median= min= max= unit= runs=[..]}.
 */
public final class Driver {
    static final String SUITE = "hotcode";
    static int reps;
    static Map<String, String> cfg;

    private Driver() {
    }

    public static void run(Map<String, String> config) throws Exception {
        cfg = config;
        reps = intArg("reps", 3);
        String groups = cfg.getOrDefault("groups", "pingpong,oneway,ring,spawn,dsu,servers,calls,release");
        List<String> on = Arrays.asList(groups.split(","));
        System.out.printf(Locale.ROOT, "# hotcode java %s (%s) cpus=%d maxheap=%dm reps=%d groups=%s%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, reps, groups);
        if (on.contains("pingpong")) {
            int n = intArg("pp.n", 1_000_000);
            inProc(() -> pingpong(n / 10));
            report("pingpong_rt_per_s", "rt/s", times(reps, () -> inProc(() -> pingpong(n))));
            int sel = intArg("sel.n", 100_000);
            report("pingpong_selective_1000_rt_per_s", "rt/s", times(reps, () -> inProc(() -> pingpongSel(sel, 1000))));
        }
        if (on.contains("oneway")) {
            int n = intArg("ow.n", 10_000_000);
            inProc(() -> oneway(n / 10));
            report("oneway_msgs_per_s", "msg/s", times(reps, () -> inProc(() -> oneway(n))));
        }
        if (on.contains("ring")) {
            int n = intArg("ring.n", 10_000);
            int rounds = intArg("ring.rounds", 100);
            inProc(() -> ring(n / 10, rounds));
            double[] create = new double[reps];
            double[] hops = new double[reps];
            for (int i = 0; i < reps; i++) {
                double[] r = inProc(() -> ring(n, rounds));
                create[i] = r[0];
                hops[i] = r[1];
            }
            report("ring_10k_create_s", "s", create);
            report("ring_10k_x100_hops_per_s", "hops/s", hops);
        }
        if (on.contains("cpu")) { // opt-in (not in the default list): CPU time idle and under load (issue 16)
            cpuGroup(intArg("cpu.n", 10_000), intArg("pp.n", 1_000_000));
        }
        if (on.contains("spawn")) {
            spawnGroup(intArg("spawn.n", 1_000_000));
        }
        if (on.contains("dsu")) {
            inProc(Driver::dsu);
        }
        if (on.contains("servers")) {
            inProc(ServersBench::run);
        }
        if (on.contains("calls")) {
            inProc(Driver::calls);
        }
        if (on.contains("release")) {
            inProc(ReleaseBench::run);
        }
    }

    // ------------------------------------------------------------------ harness

    interface Run {
        double run() throws Exception;
    }

    static double[] times(int n, Run r) throws Exception {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.run();
        }
        return v;
    }

    /** Erlang's run_in_proc: runs {@code body} in a fresh process and returns its result to this (plain) thread. */
    static <T> T inProc(Callable<T> body) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        spawn((Next) () -> {
            try {
                f.complete(body.call());
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
            return Next.done();
        });
        return f.get();
    }

    static double median(double[] runs) {
        double[] s = runs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static void report(String name, String unit, double[] runs) {
        if (runs.length == 0) {
            note(name, "no runs");
            return;
        }
        double[] s = runs.clone();
        Arrays.sort(s);
        List<String> all = new ArrayList<>();
        for (double d : runs) {
            all.add(fmt(d));
        }
        System.out.printf(Locale.ROOT, "RESULT %s %-40s median=%s min=%s max=%s unit=%s runs=[%s]%n", SUITE, name,
                fmt(median(runs)), fmt(s[0]), fmt(s[s.length - 1]), unit, String.join(",", all));
        System.out.flush();
    }

    static void note(String name, String text) {
        System.out.printf(Locale.ROOT, "RESULT %s %-40s %s%n", SUITE, name, text);
        System.out.flush();
    }

    static String fmt(double d) {
        if (Math.abs(d) >= 1000) {
            return Long.toString(Math.round(d));
        }
        return String.format(Locale.ROOT, "%.4f", d).replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    static int intArg(String name, int dflt) {
        String v = cfg.get(name);
        return v == null ? dflt : Integer.parseInt(v);
    }

    static long heapUsedAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    // ------------------------------------------------------------------ (i) ping-pong

    static double pingpong(int n) {
        Pid pong = spawn(Bench::pong);
        Pid me = self();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            send(pong, tuple(PING, me));
            receive(PONG);
        }
        long t1 = System.nanoTime();
        send(pong, STOP);
        return n / ((t1 - t0) / 1e9);
    }

    static double pingpongSel(int n, int junk) {
        Pid me = self();
        for (int i = 1; i <= junk; i++) {
            send(me, tuple(JUNK, i));
        }
        return pingpong(n);
    }

    // ------------------------------------------------------------------ (ii) one-way

    static double oneway(int n) {
        Pid me = self();
        Pid recv = spawn(() -> Bench.recvLoop(n, me));
        Pid sender = spawn(() -> {
            receive(GO);
            Bench.sendLoop(recv, n);
            return Next.done();
        });
        long t0 = System.nanoTime();
        send(sender, GO);
        receive(tuple(DONE, recv));
        long t1 = System.nanoTime();
        return n / ((t1 - t0) / 1e9);
    }

    // ------------------------------------------------------------------ (iv) ring

    static double[] ring(int n, int rounds) {
        Pid me = self();
        long t0 = System.nanoTime();
        Pid[] pids = new Pid[n];
        for (int i = 0; i < n; i++) {
            pids[i] = spawn(() -> Bench.ringInit(me));
        }
        for (int i = 0; i < n; i++) {
            send(pids[i], tuple(Bench.NEXT, pids[(i + 1) % n]));
        }
        long t1 = System.nanoTime();
        int hops = n * rounds;
        send(pids[0], tuple(TOKEN, hops));
        receive(RING_DONE);
        long t2 = System.nanoTime();
        send(pids[0], STOP);
        // not in the timing (Erlang does not wait either): let the stop go round before the next run
        for (Pid p : pids) {
            while (isAlive(p)) {
                sleep(1);
            }
        }
        return new double[] {(t1 - t0) / 1e9, hops / ((t2 - t1) / 1e9)};
    }

    // ------------------------------------------------------------------ CPU time idle and under load

    /** The JVM's user + system CPU time so far, in ns (Linux /proc/self/stat, 10 ms ticks). */
    static long processCpuNanos() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime, stime (fields 14, 15)
    }

    /**
     * CPU the whole JVM burns (a) while {@code n} processes wait in receive and nothing else happens: a receive's spin
     * must end, so an idle runtime should use ~0; (b) per ping-pong round trip, and the cores busy meanwhile.
     */
    static void cpuGroup(int n, int ppN) throws Exception {
        double[] idle = new double[reps];
        double[] perRt = new double[reps];
        double[] busy = new double[reps];
        for (int r = 0; r < reps; r++) {
            idle[r] = inProc(() -> {
                Pid[] pids = new Pid[n];
                for (int i = 0; i < n; i++) {
                    pids[i] = spawn(Bench::waiter);
                }
                try {
                    for (Pid p : pids) {
                        while (!waiting(p)) {
                            sleep(1);
                        }
                    }
                } catch (Throwable t) {
                    throw new Exception(t);
                }
                sleep(500); // let JIT and GC settle after the spawns
                long c0 = processCpuNanos();
                long t0 = System.nanoTime();
                sleep(5000);
                double ms = (processCpuNanos() - c0) / 1e6 / ((System.nanoTime() - t0) / 1e9);
                for (Pid p : pids) {
                    send(p, STOP);
                }
                return ms;
            });
            double[] rt = inProc(() -> {
                pingpong(ppN / 10);
                long c0 = processCpuNanos();
                long t0 = System.nanoTime();
                pingpong(ppN);
                long cpu = processCpuNanos() - c0;
                long wall = System.nanoTime() - t0;
                return new double[] {(double) cpu / ppN, (double) cpu / wall};
            });
            perRt[r] = rt[0];
            busy[r] = rt[1];
        }
        report("cpu_idle_" + n / 1000 + "k_waiting_ms_per_s", "ms/s", idle);
        report("cpu_pingpong_ns_per_rt", "ns", perRt);
        report("cpu_pingpong_cores_busy", "cores", busy);
    }

    // ------------------------------------------------------------------ (iii) spawn

    /** Proc.state() of the runtime (not API): WAITING once a process is parked in receive. */
    private static MethodHandle stateOf;

    static boolean waiting(Pid p) throws Throwable {
        if (stateOf == null) {
            stateOf = MethodHandles.publicLookup().findVirtual(p.getClass(), "state",
                    MethodType.methodType(p.getClass().getMethod("state").getReturnType())).asType(
                    MethodType.methodType(Object.class, Pid.class));
        }
        return "WAITING".equals(String.valueOf((Object) stateOf.invokeExact(p)));
    }

    /** Proc.awaitExit(long) of the runtime (not API): true once the process's thread has ended. */
    private static MethodHandle awaitExitOf;

    /**
     * Waits until every process of {@code pids} has terminated completely, its thread ended and its table entry
     * removed: {@code isAlive} turns false as soon as the exit begins, while the clean-up (links, monitors, the table,
     * the virtual thread's end) still runs. A measurement whose baseline is taken before that would see those
     * processes freed during it, which can only lower its figure (BENCHMARKS.md, i16-mem). Not timed.
     */
    static void awaitGone(Pid[] pids) throws Throwable {
        if (awaitExitOf == null) {
            awaitExitOf = MethodHandles.publicLookup().findVirtual(pids[0].getClass(), "awaitExit",
                    MethodType.methodType(boolean.class, long.class)).asType(
                    MethodType.methodType(boolean.class, Pid.class, long.class));
        }
        for (Pid p : pids) {
            if (!(boolean) awaitExitOf.invokeExact(p, 60_000L)) {
                throw new IllegalStateException("process " + p + " has not terminated 60 s after its exit");
            }
        }
    }

    /** {spawn calls s, until all waiting s, heap bytes per process, teardown s}. */
    static double[] spawnTest(int n, boolean heap) throws Throwable {
        Pid[] pids = new Pid[n]; // allocated before the baseline, so not counted per process
        long h0 = heap ? heapUsedAfterGc() : 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            pids[i] = spawn(Bench::waiter);
        }
        long ts = System.nanoTime();
        for (Pid p : pids) {
            while (!waiting(p)) {
                sleep(1);
            }
        }
        long t1 = System.nanoTime();
        long h1 = heap ? heapUsedAfterGc() : 0;
        long t2 = System.nanoTime();
        for (Pid p : pids) {
            send(p, STOP);
        }
        for (Pid p : pids) {
            while (isAlive(p)) {
                sleep(1);
            }
        }
        long t3 = System.nanoTime();
        awaitGone(pids); // after the teardown's clock: the next rep's baseline must not include these processes
        return new double[] {(ts - t0) / 1e9, (t1 - t0) / 1e9, (double) (h1 - h0) / n, (t3 - t2) / 1e9};
    }

    static void spawnGroup(int n) throws Exception {
        inProc(() -> {
            try {
                return spawnTest(n, false); // warm-up at full size: JIT and first touch of the heap
            } catch (Throwable t) {
                throw new Exception(t);
            }
        });
        int r = Math.min(reps, 3);
        List<double[]> rs = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            rs.add(inProc(() -> {
                try {
                    return spawnTest(n, true);
                } catch (Throwable t) {
                    throw new Exception(t);
                }
            }));
        }
        String[] names = {"spawn_1M_spawn_calls_s", "spawn_1M_until_all_waiting_s", "spawn_1M_bytes_per_proc_memdelta",
            "spawn_1M_teardown_s"};
        String[] units = {"s", "s", "B", "s"};
        for (int k = 0; k < names.length; k++) {
            double[] v = new double[r];
            for (int i = 0; i < r; i++) {
                v[i] = rs.get(i)[k];
            }
            report(names[k], units[k], v);
        }
        int nreg = intArg("spawn.registered.n", 0);
        if (nreg > 0) {
            double[] reg = inProc(() -> {
                try {
                    return registered(nreg);
                } catch (Throwable t) {
                    throw new Exception(t);
                }
            });
            report("spawn_" + nreg / 1000 + "k_registered_spawn_register_s", "s", new double[] {reg[0]});
            report("spawn_" + nreg / 1000 + "k_registered_bytes_per_proc_memdelta", "B", new double[] {reg[1]});
        }
    }

    /** n waiting processes, each registered under a name (which also publishes a NamedProcess OSGi service). */
    static double[] registered(int n) throws Throwable {
        Pid[] pids = new Pid[n];
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = "w" + i;
        }
        long h0 = heapUsedAfterGc();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            pids[i] = spawn(Bench::waiter);
            hotcode.runtime.api.Hotcode.register(names[i], pids[i]);
        }
        for (Pid p : pids) {
            while (!waiting(p)) {
                sleep(1);
            }
        }
        long t1 = System.nanoTime();
        long h1 = heapUsedAfterGc();
        for (Pid p : pids) {
            send(p, STOP);
        }
        for (Pid p : pids) {
            while (isAlive(p)) {
                sleep(1);
            }
        }
        awaitGone(pids);
        return new double[] {(t1 - t0) / 1e9, (double) (h1 - h0) / n};
    }

    // ------------------------------------------------------------------ (v) hot code upgrade

    static final String DSU = "benchdsu";

    static String currentVersion() {
        return codeServer().which(DSU).flatMap(ModuleInfo::current).map(v -> v.version()).orElse("none");
    }

    static final List<String> events = new ArrayList<>();
    static long eventT0;

    static void event(String what) {
        events.add(String.format(Locale.ROOT, "%.3f %s", (System.nanoTime() - eventT0) / 1e6, what));
    }

    /** Updates the dsu bundle with {@code jar}; returns {update() call ms, update -> which() shows it ms}. */
    static double[] update(Bundle b, String jar, String expect) throws Exception {
        event("update_start " + expect);
        long a = System.nanoTime();
        try (InputStream in = new FileInputStream(jar)) {
            b.update(in);
        }
        long c = System.nanoTime();
        while (!currentVersion().equals(expect)) {
            if (System.nanoTime() - a > 10_000_000_000L) {
                throw new IllegalStateException("update to " + expect + " did not become current: " + codeServer().which(DSU));
            }
            Thread.onSpinWait();
        }
        long d = System.nanoTime();
        event("update_current " + expect);
        return new double[] {(c - a) / 1e6, (d - a) / 1e6};
    }

    static List<Pid> spawnWorkers(int n) {
        List<Pid> ws = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ws.add(spawn(DSU, "worker"));
        }
        return ws;
    }

    static double[] dsu() throws Exception {
        int nWorkers = intArg("dsu.workers", 10_000);
        int rounds = intArg("dsu.rounds", 10);
        int purges = intArg("dsu.purges", Math.max(reps, 3));
        String[] jars = {cfg.get("v1"), cfg.get("v2")};
        String[] versions = {"1.0.0", "2.0.0"};
        BundleContext ctx = FrameworkUtil.getBundle(Driver.class).getBundleContext();
        Bundle dsu = Arrays.stream(ctx.getBundles()).filter(b -> "hotcode.bench.dsu".equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new IllegalStateException("bundle hotcode.bench.dsu is not installed"));
        Pid me = self();
        eventT0 = System.nanoTime();
        events.clear();
        List<Pid> workers = spawnWorkers(nWorkers);
        Object[] rec = (Object[]) call(DSU, "newRecorder", intArg("dsu.record.seconds", 600));
        long recT0 = ((long[]) rec[0])[0];
        Pid sender = spawn(() -> Bench.senderInit(me));
        Pid server = spawn(DSU, "server", 0L, 1L, 0L, 0, 0L, 0L, rec, sender);
        send(sender, tuple(GO, server));
        sleep(100);

        double[] updCall = new double[rounds], load = new double[rounds], soft = new double[rounds],
                migr = new double[rounds];
        int[] ok = new int[rounds];
        int vi = 0; // index of the version now current (v1 was started by the runner)
        for (int r = 0; r < rounds; r++) {
            long a = System.nanoTime();
            PurgeResult sp = codeServer().softPurge(DSU);
            soft[r] = (System.nanoTime() - a) / 1e6;
            if (!sp.purged()) {
                throw new IllegalStateException("soft purge refused before round " + r + ": " + sp.blockers().size() + " blockers");
            }
            vi = 1 - vi;
            double[] u = update(dsu, jars[vi], versions[vi]);
            updCall[r] = u[0];
            load[r] = u[1];
            int expectVsn = vi + 1;
            long t0 = System.nanoTime();
            event("trigger");
            for (Pid w : workers) {
                send(w, tuple(PING, me));
            }
            int good = 0;
            for (int i = 0; i < nWorkers; i++) {
                Tuple t = (Tuple) receive(Duration.ofSeconds(10), tuple(PONG, ANY));
                if (t == null) {
                    break;
                }
                if (Integer.valueOf(expectVsn).equals(t.get(1))) {
                    good++;
                }
            }
            long t1 = System.nanoTime();
            event("all_pongs");
            migr[r] = (t1 - t0) / 1e6;
            ok[r] = good;
            sleep(50);
        }

        // purge: 10k processes left on old code, soft-purge check (refused), then purge (kills them)
        double[] softBlocked = new double[purges], purge = new double[purges], softNoneAfter = new double[purges];
        int[] killed = new int[purges];
        double[] purgeStreamMaxGapUs = new double[purges];
        for (int p = 0; p < purges; p++) {
            long a = System.nanoTime();
            codeServer().softPurge(DSU);
            softNoneAfter[p] = (System.nanoTime() - a) / 1e6;
            vi = 1 - vi;
            update(dsu, jars[vi], versions[vi]);
            sleep(50);
            a = System.nanoTime();
            PurgeResult sb = codeServer().softPurge(DSU);
            softBlocked[p] = (System.nanoTime() - a) / 1e6;
            if (sb.purged() || sb.blockers().size() != nWorkers) {
                throw new IllegalStateException("soft purge with " + nWorkers + " on old code: purged=" + sb.purged()
                        + " blockers=" + sb.blockers().size());
            }
            event("purge_start");
            a = System.nanoTime();
            PurgeResult pr = codeServer().purge(DSU);
            long b = System.nanoTime();
            event("purge_end");
            purge[p] = (b - a) / 1e6;
            killed[p] = pr.killed().size();
            sleep(20);
            purgeStreamMaxGapUs[p] = maxGapBetween(rec, a - recT0, b - recT0 + 1_000_000) / 1e3;
            workers = spawnWorkers(nWorkers);
            sleep(50);
        }
        sleep(100);
        send(sender, STOP);
        Tuple sent = (Tuple) receive(Duration.ofSeconds(60), tuple(SENT, Long.class));
        Tuple st = (Tuple) receive(Duration.ofSeconds(60), Bench.STATE_PAT);
        for (Pid w : workers) {
            send(w, STOP);
        }

        report("dsu_load_file_10k_procs_ms", "ms", load);
        report("dsu_bundle_update_call_ms", "ms", updCall);
        report("dsu_soft_purge_10k_procs_ms", "ms", soft);
        report("dsu_all_10k_workers_on_new_code_ms", "ms", migr);
        report("dsu_soft_purge_check_10k_on_old_ms", "ms", softBlocked);
        report("dsu_purge_10k_on_old_code_ms", "ms", purge);
        report("dsu_stream_max_gap_during_purge_us", "us", purgeStreamMaxGapUs);

        long[] meta = (long[]) rec[0];
        long[] windows = (long[]) rec[2];
        int nsw = (int) meta[1];
        double[] atSwitch = new double[nsw];
        List<Double> pooled = new ArrayList<>();
        double[] winMax = new double[nsw];
        double[] winP99 = new double[nsw];
        for (int k = 0; k < nsw; k++) {
            atSwitch[k] = meta[8 + 4 * k + 2] / 1e3;
            double[] w = new double[4001];
            for (int j = 0; j < 4001; j++) {
                w[j] = windows[k * 4001 + j] / 1e3;
                pooled.add(w[j]);
            }
            Arrays.sort(w);
            winMax[k] = w[w.length - 1];
            winP99[k] = pct(w, 0.99);
        }
        report("dsu_stream_gap_at_switch_us", "us", atSwitch);
        report("dsu_stream_gap_window_p99_us", "us", winP99);
        report("dsu_stream_gap_window_max_us", "us", winMax);
        double[] all = pooled.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (all.length > 0) {
            note("dsu_stream_gap_window_pooled", String.format(Locale.ROOT,
                    "window=+-2000_msgs_around_each_switch switches=%d p50_us=%s p99_us=%s max_us=%s", nsw,
                    fmt(pct(all, 0.5)), fmt(pct(all, 0.99)), fmt(all[all.length - 1])));
        }
        long count = (Long) st.get(1);
        long gaps = (Long) st.get(2);
        long maxGap = (Long) st.get(4);
        long nSent = sent == null ? -1 : (Long) sent.get(1);
        double streamSecs = (System.nanoTime() - recT0) / 1e9;
        note("dsu_stream_max_gap", "max_inter_message_gap_whole_run_us=" + maxGap / 1000);
        note("dsu_stream_integrity", String.format(Locale.ROOT,
                "sent=%d received=%d lost=%d out_of_order=%d final_vsn=%s switches=%d msgs_per_s=%d "
                        + "worker_pongs_on_new_code_per_round=%s purge_killed=%s",
                nSent, count, nSent - count, gaps, st.get(3), nsw, Math.round(count / streamSecs),
                Arrays.toString(ok).replace(" ", ""), Arrays.toString(killed).replace(" ", "")));
        writeTimeline(rec);
        return null;
    }

    static double pct(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static long maxGapBetween(Object[] rec, long fromNs, long toNs) {
        long[] bucketMax = (long[]) rec[4];
        long m = 0;
        for (long b = Math.max(0, fromNs / 1_000_000); b <= toNs / 1_000_000 + 1 && b < bucketMax.length; b++) {
            m = Math.max(m, bucketMax[(int) b]);
        }
        return m;
    }

    /** 1 ms buckets of the stream (messages, max gap) and the driver's events, for plots. */
    static void writeTimeline(Object[] rec) throws Exception {
        String out = cfg.get("timeline");
        if (out == null) {
            return;
        }
        long[] meta = (long[]) rec[0];
        long[] buckets = (long[]) rec[3];
        long[] bucketMax = (long[]) rec[4];
        double shift = (meta[0] - eventT0) / 1e6; // recorder t0 relative to the events' t0, ms
        int last = buckets.length - 1;
        while (last > 0 && buckets[last] == 0) {
            last--;
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(out + ".stream.tsv")))) {
            w.println("# t_ms\tmsgs_in_ms\tmax_gap_us");
            for (int b = 0; b <= last; b++) {
                w.printf(Locale.ROOT, "%.0f\t%d\t%.1f%n", b + shift, buckets[b], bucketMax[b] / 1e3);
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(out + ".events.tsv")))) {
            w.println("# t_ms event");
            events.forEach(w::println);
        }
    }

    // ------------------------------------------------------------------ qualified vs local calls (in a process)

    static volatile long sink;

    static double[] calls() {
        int n = intArg("calls.n", 10_000_000);
        Pid me = self();
        double[] local = new double[reps], qual = new double[reps], stepL = new double[reps], stepQ = new double[reps];
        for (int r = -1; r < reps; r++) {
            long x = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                x = Bench.inc(x);
            }
            long t1 = System.nanoTime();
            sink = x;
            x = 0;
            long t2 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                x = (Long) call("bench", "inc", x);
            }
            long t3 = System.nanoTime();
            sink = x;
            long t4 = System.nanoTime();
            spawn(() -> Bench.localSteps(n, me));
            receive(DONE);
            long t5 = System.nanoTime();
            spawn("bench", "qualifiedSteps", (long) n, me);
            receive(DONE);
            long t6 = System.nanoTime();
            if (r >= 0) {
                local[r] = (t1 - t0) / (double) n;
                qual[r] = (t3 - t2) / (double) n;
                stepL[r] = (t5 - t4) / (double) n;
                stepQ[r] = (t6 - t5) / (double) n;
            }
        }
        report("call_local_in_process_ns", "ns", local);
        report("call_qualified_in_process_ns", "ns", qual);
        report("step_local_tail_call_ns", "ns", stepL);
        report("step_qualified_tail_call_ns", "ns", stepQ);
        return null;
    }
}
