package hotcode.runtime.impl;

import hotcode.runtime.api.CodeServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.process.IdleCarriers;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.Modules;
import org.junit.After;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;

/**
 * The bundle's start returns without waiting for the warm-ups: the code server is published and modules load while
 * a warm-up still runs; the stop cancels a running warm-up. On a stand-in {@link BundleContext} (no framework).
 */
public class RuntimeActivatorTest {
    private static final long WAIT = Agent.WAIT_SECONDS;

    /** Service classes registered, in order. */
    private final List<String> registered = new CopyOnWriteArrayList<>();
    private RuntimeActivator activator;
    private BundleContext context;

    @After
    public void stopRuntime() throws Exception {
        if (activator != null && activator.warmups() != null) {
            activator.stop(context);
        }
    }

    @Test(timeout = 60_000)
    public void startReturnsWhileAWarmupRunsAndTheCodeServerIsPublishedAndLoadsModules() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<Thread> ranOn = new LinkedBlockingQueue<>();
        Warmups.Step blocking = (kernel, cancelled) -> {
            ranOn.add(Thread.currentThread());
            running.countDown();
            await(release, cancelled);
        };
        start(Map.of(), blocking);
        assertTrue("the warm-up started", running.await(WAIT, TimeUnit.SECONDS));
        assertNotSame("not on the starting thread", Thread.currentThread(), ranOn.take());
        assertTrue("CodeServer is published: " + registered, registered.contains(CodeServer.class.getName()));
        assertFalse("the warm-up is still running", activator.warmups().await(0));

        // a module loads, runs, is upgraded and purged while the warm-up runs
        Kernel k = Kernel.get();
        BlockingQueue<Object> out = new LinkedBlockingQueue<>();
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid p = Hotcode.spawn("m", "loop", out);
        Hotcode.send(p, "local");
        assertEquals("v1", out.poll(WAIT, TimeUnit.SECONDS));
        Modules.load(k, "m", Mod.class, "2.0.0");
        assertEquals("v2", Hotcode.call("m", "version"));
        assertEquals(List.of(p), k.codeServer().purge("m").killed());

        release.countDown();
        assertTrue("the warm-up ended", activator.warmups().await(TimeUnit.SECONDS.toMillis(WAIT)));
    }

    @Test(timeout = 60_000)
    public void stopCancelsARunningWarmup() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean sawCancel = new AtomicBoolean();
        start(Map.of(), (kernel, cancelled) -> {
            running.countDown();
            await(new CountDownLatch(1), cancelled); // never released: only the stop ends it
            sawCancel.set(cancelled.getAsBoolean());
        });
        assertTrue(running.await(WAIT, TimeUnit.SECONDS));
        activator.stop(context);
        assertTrue("the stop waited for the cancelled warm-up", activator.warmups().await(0));
        assertTrue(sawCancel.get());
        activator = null;
    }

    @Test(timeout = 60_000)
    public void warmupInlineRunsInTheStartAfterTheCodeServerIsPublished() throws Exception {
        List<String> atWarmup = new CopyOnWriteArrayList<>();
        BlockingQueue<Thread> ranOn = new LinkedBlockingQueue<>();
        start(Map.of("hotcode.warmup", "inline"), (kernel, cancelled) -> {
            ranOn.add(Thread.currentThread());
            atWarmup.addAll(registered);
        });
        assertEquals(Thread.currentThread(), ranOn.poll());
        assertTrue("CodeServer was published before: " + atWarmup, atWarmup.contains(CodeServer.class.getName()));
        assertTrue(activator.warmups().await(0));
    }

    @Test(timeout = 60_000)
    public void warmupFalseRunsNone() throws Exception {
        AtomicBoolean ran = new AtomicBoolean();
        start(Map.of("hotcode.warmup", "false"), (kernel, cancelled) -> ran.set(true));
        assertTrue(activator.warmups().await(0));
        assertFalse(ran.get());
    }

    /** The real warm-ups in the background, with a module's life beside them: both finish, nothing is left over. */
    @Test(timeout = 120_000)
    public void theRuntimesWarmupsRunInTheBackgroundBesideAModule() throws Exception {
        activator = new RuntimeActivator();
        context = context(Map.of("hotcode.warmup", "background"));
        activator.start(context);
        Kernel k = Kernel.get();
        BlockingQueue<Object> out = new LinkedBlockingQueue<>();
        for (int round = 0; round < 20; round++) {
            Modules.load(k, "m", Mod.class, (round % 2 + 1) + ".0." + round); // Mod answers v + its major version
            Pid p = Hotcode.spawn("m", "loop", out);
            Hotcode.send(p, "local");
            assertEquals(round % 2 == 0 ? "v1" : "v2", out.poll(WAIT, TimeUnit.SECONDS));
            assertEquals(List.of("m"), k.codeServer().modules().stream().map(i -> i.name()).toList());
            assertTrue(((Proc) p).id() > 0);
            k.codeServer().purge("m");
        }
        assertTrue("the warm-ups ended", activator.warmups().await(TimeUnit.SECONDS.toMillis(WAIT * 3)));
        assertTrue(k.registry().versions().stream().noneMatch(v -> v.isInternal()));
        assertTrue(k.processes().pids().size() == k.processes().count());
    }

    /** One spinner per carrier but one while the runtime runs, none with a window of 0, none after the stop. */
    @Test(timeout = 60_000)
    public void theRuntimeStartsItsIdleCarriersAndItsStopEndsThem() throws Exception {
        org.junit.Assume.assumeTrue("a spare carrier", IdleCarriers.defaultCount() > 0);
        start(Map.of(), (kernel, cancelled) -> { });
        assertEquals(IdleCarriers.defaultCount(), IdleCarriers.alive());
        activator.stop(context);
        activator = null;
        assertEquals(0, IdleCarriers.alive());
        start(Map.of("hotcode.idle.spin.us", "0"), (kernel, cancelled) -> { });
        assertEquals(0, IdleCarriers.alive());
    }

    // ------------------------------------------------------------------ helpers

    private void start(Map<String, String> properties, Warmups.Step step) {
        activator = new RuntimeActivator(List.of(step));
        context = context(properties);
        activator.start(context);
    }

    /** Waits for {@code latch}, or until {@code cancelled}: a warm-up that ends when the runtime stops. */
    private static void await(CountDownLatch latch, java.util.function.BooleanSupplier cancelled) {
        try {
            while (!latch.await(10, TimeUnit.MILLISECONDS) && !cancelled.getAsBoolean()) {
                LockSupport.parkNanos(1_000_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A bundle context without a framework: properties from {@code properties}, no bundles, registrations recorded
     * and returned as no-op {@link ServiceRegistration}s, listeners ignored.
     */
    private BundleContext context(Map<String, String> properties) {
        Bundle system = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getState" -> Bundle.ACTIVE;
                    case "getBundleId" -> 0L;
                    default -> defaultValue(method.getReturnType());
                });
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getProperty" -> properties.get((String) args[0]);
                    case "getBundles" -> new Bundle[0];
                    case "getBundle" -> system;
                    case "registerService" -> {
                        registered.add(args[0] instanceof Class<?> c ? c.getName()
                                : args[0] instanceof String[] names ? String.join(",", names) : String.valueOf(args[0]));
                        yield Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class},
                                (p, m, a) -> defaultValue(m.getReturnType()));
                    }
                    default -> defaultValue(method.getReturnType());
                });
    }

    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }
}
