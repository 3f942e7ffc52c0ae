package hotcode.itest;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * One node of {@link ClusterStormIT}: a real Felix framework (the one on the class path) in a JVM of its own, with
 * the runtime bundle, the cluster bundle (configured by the framework properties {@code hotcode.cluster.*} given as
 * {@code -D} options) and the test module {@code cstorm}, driven over its standard input, one command a line, each
 * answered by lines ending with {@code OK <text>} or {@code ERR <text>}:
 * <ul>
 * <li>{@code call <function> <arg>...}: {@code Hotcode.call("cstorm", function, args)} (an argument of digits is an
 * Integer, one with commas a list of strings, else a string); a list answer comes as lines {@code L <item>};</li>
 * <li>{@code update <jar file>}: {@code Bundle.update} of the cstorm bundle; {@code refresh}: a framework refresh of
 * it, waited for;</li>
 * <li>{@code load <module> <url>}: {@code hotcode:cluster load} through the cluster bundle's command service;</li>
 * <li>{@code nodes}: {@code hotcode:nodes}; {@code loss cut|heal|inDoubt}: the cluster bundle's test-only loss
 * injection (needs {@code -Dhotcode.cluster.lossInjection=true}): cut this node off, let it back, list the messages
 * it counted in doubt.</li>
 * </ul>
 * It prints {@code READY} once the node has joined its cluster; end of input stops the framework.
 */
public final class FelixNode {
    private FelixNode() {
    }

    /** Arguments: storage directory, runtime jar, cluster jar, cstorm jar. */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Map<String, String> props = new HashMap<>();
        props.put("org.osgi.framework.storage", args[0]);
        props.put("org.osgi.framework.storage.clean", "onFirstInit");
        props.put("felix.log.level", "1");
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("hotcode.")) {
                props.put(key, System.getProperty(key));
            }
        }
        // the framework of the class path (Felix; Equinox under -Pequinox), as a launcher finds it
        Framework fw = java.util.ServiceLoader.load(org.osgi.framework.launch.FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(props);
        fw.start();
        BundleContext ctx = fw.getBundleContext();
        Bundle runtime = ctx.installBundle(Path.of(args[1]).toUri().toString());
        Bundle cluster = ctx.installBundle(Path.of(args[2]).toUri().toString());
        runtime.start();
        cluster.start();
        Bundle storm;
        try (InputStream in = Files.newInputStream(Path.of(args[3]))) {
            storm = ctx.installBundle("cstorm", in);
        }
        storm.start();
        Class<?> hotcode = runtime.loadClass("hotcode.runtime.api.Hotcode");
        Method node = hotcode.getMethod("node");
        Method call = hotcode.getMethod("call", String.class, String.class, Object[].class);
        String me = System.getProperty("hotcode.cluster.node");
        long deadline = System.currentTimeMillis() + 60_000;
        while (!me.equals(node.invoke(null))) {
            if (System.currentTimeMillis() > deadline) {
                out.println("ERR node " + me + " did not join its cluster within 60 s");
                System.exit(1);
            }
            Thread.sleep(20); // the cluster bundle joins on a thread of its own
        }
        out.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split(" ");
            try {
                switch (w[0]) {
                    case "call" -> {
                        Object[] a = new Object[w.length - 2];
                        for (int i = 2; i < w.length; i++) {
                            a[i - 2] = w[i].matches("[0-9]+") ? (Object) Integer.valueOf(w[i])
                                    : w[i].contains(",") ? List.of(w[i].split(",")) : w[i];
                        }
                        Object r = call.invoke(null, "cstorm", w[1], a);
                        if (r instanceof List<?> l) {
                            for (Object o : l) {
                                out.println("L " + o);
                            }
                            out.println("OK " + l.size());
                        } else {
                            out.println("OK " + r);
                        }
                    }
                    case "update" -> {
                        try (InputStream jar = Files.newInputStream(Path.of(w[1]))) {
                            storm.update(jar);
                        }
                        out.println("OK updated to " + storm.getVersion());
                    }
                    case "refresh" -> {
                        CountDownLatch done = new CountDownLatch(1);
                        fw.adapt(FrameworkWiring.class).refreshBundles(List.of(storm), e -> {
                            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                                done.countDown();
                            }
                        });
                        out.println(done.await(60, TimeUnit.SECONDS) ? "OK refreshed" : "ERR refresh: not within 60 s");
                    }
                    case "load" -> {
                        Object r = command(ctx, "cluster").getClass()
                                .getMethod("cluster", String.class, String.class, String.class)
                                .invoke(command(ctx, "cluster"), "load", w[1], w[2]);
                        out.println("OK " + String.valueOf(r).replace('\n', ' '));
                    }
                    case "nodes" -> {
                        Object c = command(ctx, "nodes");
                        Object nodes = c.getClass().getMethod("nodes").invoke(c);
                        out.println("OK " + String.valueOf(nodes).replace('\n', '|'));
                    }
                    case "loss" -> {
                        ServiceReference<?>[] refs = ctx.getServiceReferences(Function.class.getName(),
                                "(hotcode.cluster.lossInjection=true)");
                        if (refs == null) {
                            out.println("ERR no loss injection: start with -Dhotcode.cluster.lossInjection=true");
                        } else {
                            @SuppressWarnings("unchecked")
                            Function<String, Object> loss = (Function<String, Object>) ctx.getService(refs[0]);
                            Object r = loss.apply(w[1]);
                            if (r instanceof List<?> l) {
                                for (Object o : l) {
                                    out.println("L " + o);
                                }
                                out.println("OK " + l.size());
                            } else {
                                out.println("OK " + r);
                            }
                        }
                    }
                    default -> out.println("ERR unknown command " + line);
                }
            } catch (Exception e) {
                Throwable t = e instanceof java.lang.reflect.InvocationTargetException i ? i.getCause() : e;
                out.println("ERR " + line + ": " + String.valueOf(t).replace('\n', ' '));
            }
        }
        fw.stop();
        fw.waitForStop(10_000);
        System.exit(0);
    }

    private static Object command(BundleContext ctx, String function) throws Exception {
        ServiceReference<?>[] refs = ctx.getServiceReferences((String) null,
                "(osgi.command.function=" + function + ")");
        if (refs == null) {
            throw new IllegalStateException("no command " + function + " registered");
        }
        return ctx.getService(refs[0]);
    }

}
