package hotcode.cluster.impl;

import hotcode.runtime.spi.node.LocalNode;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Starts a node when the runtime ({@link LocalNode} service) is there and a cluster is configured: from ConfigAdmin
 * PID {@code hotcode.cluster} when ConfigAdmin runs, else from the framework properties {@code hotcode.cluster.*}
 * (see {@link ClusterConfig}). Without a configured cluster name the bundle stays idle and the runtime is a single
 * node. Joining (discovery, the join request) takes a moment, so it runs on a thread of its own, never on the
 * framework's.
 */
public final class ClusterActivator implements BundleActivator {
    private static final System.Logger LOG = System.getLogger("hotcode.cluster");
    private final ExecutorService starter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hotcode-cluster-start");
        t.setDaemon(true);
        return t;
    });
    private ServiceTracker<LocalNode, LocalNode> runtime;
    private volatile LocalNode local;
    private volatile ClusterConfig config;
    private volatile ClusterNode node;
    private volatile boolean managed;
    private LocalNode startedWith; // the runtime the node was started on; the starter thread's only
    /**
     * Test-only, off by default: framework property {@code hotcode.cluster.lossInjection=true} puts JGroups' DISCARD
     * above the transport, keeps every message the node counts in doubt, and registers a
     * {@code Function<String, Object>} service (property {@code hotcode.cluster.lossInjection=true}): {@code "cut"}
     * cuts this node off (nothing reaches it, nothing leaves it), {@code "heal"} lets it back, {@code "inDoubt"}
     * answers the messages counted in doubt so far (to check each against the receiver's record). How the storm of
     * the itest (ClusterStormIT) partitions a node in a Felix JVM.
     */
    private boolean lossInjection;
    private final java.util.List<Object> inDoubt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    @Override
    public void start(BundleContext context) {
        config = fromFrameworkProperties(context);
        lossInjection = Boolean.parseBoolean(context.getProperty("hotcode.cluster.lossInjection"));
        if (lossInjection) {
            Hashtable<String, Object> p = new Hashtable<>();
            p.put("hotcode.cluster.lossInjection", "true");
            context.registerService(java.util.function.Function.class,
                    (java.util.function.Function<String, Object>) this::injectLoss, p);
        }
        try {
            managed = ManagedConfig.register(context, this::configured);
        } catch (NoClassDefFoundError e) {
            managed = false; // no ConfigAdmin API in the framework: the framework properties are the configuration
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "hotcode");
        props.put("osgi.command.function", new String[] {"nodes", "cluster"});
        context.registerService(Object.class, new NodesCommand(() -> node), props);
        runtime = new ServiceTracker<>(context, LocalNode.class, null) {
            @Override
            public LocalNode addingService(ServiceReference<LocalNode> ref) {
                LocalNode l = super.addingService(ref);
                local = l;
                restart();
                return l;
            }

            @Override
            public void removedService(ServiceReference<LocalNode> ref, LocalNode l) {
                local = null;
                restart();
                super.removedService(ref, l);
            }
        };
        runtime.open();
    }

    private static ClusterConfig fromFrameworkProperties(BundleContext context) {
        try {
            return ClusterConfig.from(k -> context.getProperty("hotcode.cluster." + k));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "framework properties hotcode.cluster.*: " + e.getMessage()
                    + "; this node stays out of every cluster");
            return null;
        }
    }

    /** A ConfigAdmin update (null: the configuration was deleted, the framework properties apply again). */
    private void configured(Dictionary<String, ?> d, BundleContext context) {
        try {
            config = d == null ? fromFrameworkProperties(context) : ClusterConfig.from(d);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + ClusterConfig.PID + ": " + e.getMessage()
                    + "; this node leaves its cluster");
            config = null;
        }
        restart();
    }

    /** Leaves the current cluster if any, and joins the configured one if the runtime is there. */
    private void restart() {
        starter.execute(() -> {
            ClusterNode old = node;
            LocalNode l = local;
            ClusterConfig c = config;
            if (old != null && l == startedWith && c != null && c.equals(old.config())) {
                return; // the same runtime and configuration (ConfigAdmin's first update repeats the properties)
            }
            node = null;
            if (old != null) {
                old.close();
            }
            if (l == null || c == null) {
                return;
            }
            try {
                startedWith = l;
                node = ClusterNode.start(l, c, lossInjection);
                if (lossInjection) {
                    node.sessions.inDoubtListener = (to, m) -> inDoubt.add(m);
                }
            } catch (Exception | LinkageError e) {
                LOG.log(System.Logger.Level.ERROR, "node " + c.node() + " could not join " + c + ": " + e, e);
            }
        });
    }

    private Object injectLoss(String what) {
        ClusterNode n = node;
        if (n == null) {
            throw new IllegalStateException("loss injection: this node is in no cluster");
        }
        switch (what) {
            case "cut", "heal" -> {
                n.discard().discardAll("cut".equals(what));
                LOG.log(System.Logger.Level.WARNING, "node " + n.config().node() + ": loss injection "
                        + ("cut".equals(what) ? "on, the node is cut off" : "off, the node is let back"));
                return what;
            }
            case "inDoubt" -> {
                synchronized (inDoubt) {
                    return new java.util.ArrayList<>(inDoubt);
                }
            }
            default -> throw new IllegalArgumentException("loss injection: cut, heal or inDoubt, not " + what);
        }
    }

    @Override
    public void stop(BundleContext context) throws InterruptedException {
        runtime.close();
        starter.execute(() -> {
            ClusterNode n = node;
            node = null;
            if (n != null) {
                n.close();
            }
        });
        starter.shutdown();
        starter.awaitTermination(10, TimeUnit.SECONDS);
    }
}
