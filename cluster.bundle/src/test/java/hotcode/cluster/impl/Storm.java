package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Global;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.Kernel;
import hotcode.runtime.impl.code.ModuleHeader;
import hotcode.runtime.impl.code.ModuleRevision;
import hotcode.runtime.impl.code.ModuleSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One node's part of the distributed storm ({@link MultiJvmTest}): module {@code storm} at 1.0.0 with
 * {@link #RECEIVERS} receivers registered globally as {@code recv-<node>-<i>}, and a control process registered
 * globally as {@code storm-<node>} that the test drives by messages over the cluster:
 * <ul>
 * <li>{@code {go, From, Targets}}: starts {@link #SENDERS} senders {@code <node>-s<i>}, each sending
 * {@code {Sender, Seq}} round after round to every target, alternately by pid (looked up once) and by global name
 * (looked up at each send, as {@code global:send}), with its own sequence per target, until told to stop;</li>
 * <li>{@code {stop, From}}: the senders stop and each answers {@code {sent, Sender, #{Target => Count}}};</li>
 * <li>{@code {update, From, Version}}: loads that version of {@code storm} here (its receivers migrate);
 * answers {@code {updated, Node, Version}} or {@code {update_failed, Node, Why}};</li>
 * <li>{@code {report, From}}: answers {@code {report, Node, #{Receiver => State}, DeadLetters, InDoubt}}.</li>
 * </ul>
 * The kernel must be installed (the receivers are GenServers, the senders use {@code Global.send}).
 */
public final class Storm {
    static final int RECEIVERS = 2;
    static final int SENDERS = 2;
    /** The version whose codeChange fails on node {@link #FAILING_NODE} (only there). */
    public static final String FAILING_VERSION = "4.0.0", FAILING_NODE = "c";
    static final Atom GO = Atom.of("go"), STOP = Atom.of("stop"), UPDATE = Atom.of("update"), REPORT = Atom.of("report");

    private Storm() {
    }

    static void start(Kernel k, ClusterNode n, String node) throws InterruptedException {
        k.code().load(source("1.0.0"));
        List<Pid> receivers = new ArrayList<>();
        for (int i = 0; i < RECEIVERS; i++) {
            Pid r = GenServer.start(receiverClass("1.0.0"), null);
            receivers.add(r);
            register(n, "recv-" + node + "-" + i, r);
        }
        Pid control = k.spawn(control(k, n, node, receivers), false);
        register(n, "storm-" + node, control);
    }

    /** The receiver class of version {@code version} of module storm. */
    private static Class<?> receiverClass(String version) {
        try {
            return Class.forName(StormReceiver.class.getName(), true, loader(version));
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void register(ClusterNode n, String name, Pid pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!n.registerGlobal(name, pid)) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(name + " stays taken");
            }
            Thread.sleep(50); // taken by a previous incarnation until the cluster sees it gone
        }
    }

    private static Next control(Kernel k, ClusterNode n, String node, List<Pid> receivers) {
        List<Pid> senders = new ArrayList<>();
        return new Next() {
            @Override
            public Next run() {
                Tuple t = (Tuple) Hotcode.receive();
                Pid from = (Pid) t.get(1);
                if (t.get(0) == GO) {
                    @SuppressWarnings("unchecked")
                    List<Object> targets = (List<Object>) t.get(2);
                    for (int i = 0; i < SENDERS; i++) {
                        String me = node + "-s" + i;
                        senders.add(Hotcode.spawn(sender(me, targets, from)));
                    }
                } else if (t.get(0) == STOP) {
                    for (Pid s : senders) {
                        Hotcode.send(s, STOP);
                    }
                    senders.clear();
                } else if (t.get(0) == UPDATE) {
                    String version = (String) t.get(2);
                    try {
                        k.code().load(source(version));
                        Hotcode.send(from, Tuple.of(Atom.of("updated"), node, version));
                    } catch (RuntimeException e) {
                        Hotcode.send(from, Tuple.of(Atom.of("update_failed"), node, String.valueOf(e)));
                    }
                } else if (t.get(0) == REPORT) {
                    Map<String, Object> states = new HashMap<>();
                    for (int i = 0; i < receivers.size(); i++) {
                        states.put("recv-" + node + "-" + i, GenServer.call(receivers.get(i), REPORT));
                    }
                    Hotcode.send(from, Tuple.of(REPORT, node, states, new HashMap<>(k.deadLetters().countsByReason()),
                            n.stats().inDoubt()));
                }
                return this;
            }
        };
    }

    /** Sends round after round until {@code stop}; then tells {@code to} how many it sent to each target. */
    private static Next sender(String me, List<Object> targets, Pid to) {
        return () -> {
            Pid[] pids = new Pid[targets.size()];
            for (int j = 0; j < pids.length; j++) {
                pids[j] = Global.whereis((String) targets.get(j));
            }
            long seq = 0;
            while (Hotcode.receive(Duration.ZERO, STOP) == null) {
                seq++;
                for (int j = 0; j < pids.length; j++) {
                    Tuple m = Tuple.of(me, seq);
                    if (j % 2 == 0) {
                        Hotcode.send(pids[j], m);
                    } else {
                        Global.send((String) targets.get(j), m);
                    }
                }
                if (seq % 20 == 0) {
                    Hotcode.sleep(2); // a storm, not a flood: mailboxes stay short while servers are suspended
                }
            }
            Map<String, Long> sent = new HashMap<>();
            for (Object target : targets) {
                sent.put((String) target, seq);
            }
            Hotcode.send(to, Tuple.of(Atom.of("sent"), me, sent));
            return null;
        };
    }

    /**
     * The runtime's port of a storm node, whose {@code load(storm, Version, barrier)} (a coordinated load,
     * {@code hotcode:cluster load}) loads version Version of module storm in the installed kernel through its upgrade
     * transaction, which asks the barrier once prepared: a kernel without OSGi has no bundle to update, the rest is
     * the runtime's own.
     */
    static hotcode.runtime.spi.node.LocalNode node(hotcode.runtime.spi.node.LocalNode real) {
        return new ClusterLoadTest.Delegating(real) {
            @Override
            public hotcode.runtime.api.VersionInfo load(String module, String version,
                                                        hotcode.runtime.spi.node.ReleaseBarrier barrier) {
                hotcode.runtime.spi.node.ReleaseBarrier.set(barrier);
                try {
                    hotcode.runtime.impl.upgrade.UpgradeOutcome o = Kernel.get().code().upgrade(source(version));
                    if (o.result() != hotcode.runtime.impl.upgrade.UpgradeOutcome.Result.COMMITTED) {
                        throw o.cause() != null ? o.cause()
                                : new hotcode.runtime.api.HotcodeException("storm " + version + ": " + o.result());
                    }
                    return Kernel.get().codeServer().which(module).orElseThrow().current().orElseThrow();
                } finally {
                    hotcode.runtime.spi.node.ReleaseBarrier.set(null);
                }
            }
        };
    }

    // ------------------------------------------------------------------ module storm, one class loader per version

    /** One loader per version and JVM: the module source and the servers' class must be the same version's. */
    private static final Map<String, ClassLoader> LOADERS = new java.util.concurrent.ConcurrentHashMap<>();

    private static ClassLoader loader(String version) {
        return LOADERS.computeIfAbsent(version, v -> new VersionLoader(StormReceiver.class.getName(), v,
                Storm.class.getClassLoader()));
    }

    static ModuleSource source(String version) {
        ModuleHeader header = ModuleHeader.parse("storm;class=" + StormReceiver.class.getName(), "test bundle test.storm");
        return new ModuleSource(header, "test.storm", version, 500, "test:storm/" + version, ModuleRevision.detached(),
                loader(version));
    }

    /** The version {@code type} was loaded as. */
    public static String versionOf(Class<?> type) {
        return type.getClassLoader() instanceof VersionLoader v ? v.version : "?";
    }

    /** Child-first for the receiver class, parent-first for everything else (as the runtime's tests load versions). */
    static final class VersionLoader extends ClassLoader {
        static {
            registerAsParallelCapable();
        }

        private final String entry;
        final String version;

        VersionLoader(String entry, String version, ClassLoader parent) {
            super("storm-" + version, parent);
            this.entry = entry;
            this.version = version;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals(entry) && !name.startsWith(entry + "$")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                return c;
            }
        }
    }
}
