package hotcode.bench.runner;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Launches a real Felix framework (Felix launch API), installs and starts the Hotcode runtime bundle, the bench
 * workloads bundle (module {@code bench}) and version 1 of the upgradable module bundle ({@code benchdsu}), then
 * runs hotcode.bench.Driver#run inside it (by reflection: the driver lives in the workloads bundle's class loader).
 *
 * <p>Arguments: {@code key=value} pairs. Required: {@code runtime= workloads= v1= v2=} (jar paths). Optional:
 * {@code reps= groups= cache= timeline=} and the sizes the driver reads ({@code pp.n= ow.n= ring.n= spawn.n= ...});
 * for the servers group, {@code srv1=} (version 1 of module {@code benchsrv}, installed and started here when given)
 * and {@code srv2= srvfailmid= srvfaillast=} (the jars the driver updates it to), and
 * {@code migration.timeout.ms=} (the runtime's {@code hotcode.migration.timeout.ms}, default 5000), {@code warmup=}
 * (the runtime's {@code hotcode.warmup}; default {@code inline}: the start-up warm-ups end before the runtime's start
 * returns, so they never run beside a measurement).
 */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> cfg = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected key=value, got " + a);
            }
            cfg.put(a.substring(0, eq), a.substring(eq + 1));
        }
        for (String k : new String[] {"runtime", "workloads", "v1", "v2"}) {
            if (cfg.get(k) == null || !Files.isRegularFile(Path.of(cfg.get(k)))) {
                throw new IllegalArgumentException(k + "=<jar> is missing or not a file: " + cfg.get(k));
            }
        }
        Path cache = Path.of(cfg.getOrDefault("cache", Files.createTempDirectory("hotcode-bench-felix").toString()));
        Map<String, String> fw = new HashMap<>();
        fw.put("org.osgi.framework.storage", cache.toString());
        fw.put("org.osgi.framework.storage.clean", "onFirstInit");
        fw.put("felix.log.level", "1");
        fw.put("hotcode.purge.timeout.ms", cfg.getOrDefault("purge.timeout.ms", "5000"));
        fw.put("hotcode.migration.timeout.ms", cfg.getOrDefault("migration.timeout.ms", "5000"));
        // the runtime's start-up warm-ups run inside its start here, so none runs beside the first measured group;
        // warmup=false (or -Dhotcode.warmup=false in HOTCODE_BENCH_JVM_FLAGS) measures without them
        fw.put("hotcode.warmup", cfg.getOrDefault("warmup", System.getProperty("hotcode.warmup", "inline")));
        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(fw);
        framework.start();
        int rc = 0;
        try {
            BundleContext ctx = framework.getBundleContext();
            Bundle runtime = ctx.installBundle("file:" + Path.of(cfg.get("runtime")).toAbsolutePath());
            Bundle dsu = ctx.installBundle("file:" + Path.of(cfg.get("v1")).toAbsolutePath());
            Bundle workloads = ctx.installBundle("file:" + Path.of(cfg.get("workloads")).toAbsolutePath());
            Bundle srv = cfg.get("srv1") == null ? null : ctx.installBundle("file:" + Path.of(cfg.get("srv1")).toAbsolutePath());
            runtime.start();
            dsu.start();
            if (srv != null) {
                srv.start();
            }
            workloads.start();
            workloads.loadClass("hotcode.bench.Driver").getMethod("run", Map.class).invoke(null, cfg);
        } catch (java.lang.reflect.InvocationTargetException e) {
            e.getCause().printStackTrace();
            rc = 1;
        } finally {
            framework.stop();
            framework.waitForStop(30_000);
        }
        System.exit(rc);
    }
}
