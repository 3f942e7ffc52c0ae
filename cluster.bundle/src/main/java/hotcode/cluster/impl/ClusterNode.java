package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.DISCARD;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node of a Hotcode cluster on a JGroups channel: the {@link NodeTransport} the runtime hands remote pids to.
 *
 * <p><b>Delivery accounting.</b> JGroups' UNICAST3 delivers reliably and in order per sender while both ends stay in
 * the view, and drops what is in flight to a member that leaves it. On top of that each ordered pair of nodes has a
 * session (a random epoch, new when a node first sees the other) and a sequence number per message; the receiver
 * delivers a number once (a number it has delivered is a duplicate, counted and dropped) and acknowledges the highest
 * it delivered; the sender keeps what is not acknowledged. When a node leaves the view, what is not acknowledged to it
 * is counted <em>in doubt</em> (it may or may not have been delivered); everything else sent was delivered or is a
 * dead letter with its reason at one of the two ends: {@code noconnection} (the pid's node or incarnation is not in
 * the cluster), {@code noproc} (no such process at the receiver), {@code incompatible} (a value the sender cannot
 * write in the neutral form, or the receiver cannot read).
 *
 * <p><b>Links and monitors</b> across nodes are kept here, not in the processes: a small process of this node (the
 * net process) monitors every local process that a remote one links or monitors, and turns its exit into the signal
 * the remote node delivers. A node leaving the view fires {@code noconnection} for every link and monitor to it.
 */
public final class ClusterNode implements NodeTransport, Receiver, Codec.Terms, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("hotcode.cluster");
    static final Atom NOCONNECTION = Atom.of("noconnection");
    static final Atom INCOMPATIBLE = Atom.of("incompatible");
    static final Atom NODEDOWN = Atom.of("nodedown");
    static final Atom PROCESS = Atom.of("process");
    static final Atom CONFLICT = Atom.of("global_name_conflict");
    private static final Atom WATCH = Atom.of("$cluster_watch");
    private static final Atom STOP = Atom.of("$cluster_stop");

    static final byte MAGIC = 0x48, VERSION = 1;
    static final byte HELLO = 1, MSG = 2, ACK = 3, EXIT = 4, LINK = 5, UNLINK = 6, MON = 7, DEMON = 8, DOWN = 9,
            GREG = 10, GREG_REPLY = 11, GADD = 12, GDEL = 13, GSYNC = 14;
    /** The receiver acknowledges at once after this many messages, else within {@link #ACK_MILLIS}. */
    private static final int ACK_EVERY = 64;
    private static final long ACK_MILLIS = 20;
    /** How much may wait for one member before its senders wait (back-pressure). */
    private static final int MAX_OUTBOX_BYTES = 4 << 20;
    /**
     * A message sent within this time after the pair's last flush ended is part of a stream and is flushed by the
     * flusher, so that the sender's next messages join it in a batch; a message after a longer pause (a ping-pong's
     * round trip is tens of microseconds or more) is flushed at once by its sender.
     */
    private static final long STREAM_NANOS = Long.getLong("hotcode.cluster.streamNanos", 20_000);
    static final byte BATCH = 15, CLOAD = 16, VOTE = 17, VERDICT = 18, DONE = 19;
    /** The console's requests to another node ({@link #call}) and their answers. */
    static final byte CALL = 20, REPLY = 21;
    /** A coordinated load of one module (CLOAD is a release's): the same votes, verdict and outcomes follow. */
    static final byte CLOAD_MODULE = 22;
    /** How long a coordinated load waits for the votes, and a prepared node for the verdict. */
    static final long LOAD_TIMEOUT_MILLIS = Long.getLong("hotcode.cluster.loadTimeoutMillis", 60_000);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LocalNode local;
    private final ClusterConfig config;
    private final String name;
    private final long incarnation;
    private final Codec codec = new Codec(this);
    private final DISCARD discard;
    private final JChannel channel;
    private final ScheduledExecutorService acks;
    /** Takes over flushing from a sender that has flushed for others long enough (virtual threads: cheap, many). */
    private final java.util.concurrent.ExecutorService flusher = Executors.newVirtualThreadPerTaskExecutor();
    private Pid net;
    private boolean closed; // guarded by this

    /** Members that said hello, by address and by node name. */
    private final Map<Address, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, Peer> byName = new ConcurrentHashMap<>();
    /** The {@code N} of {@code <N.id.0>}: one per node name and incarnation, given when first seen. */
    private final Map<String, Integer> indices = new ConcurrentHashMap<>();
    private final AtomicInteger nextIndex = new AtomicInteger();

    private final AtomicLong sent = new AtomicLong(), delivered = new AtomicLong(), duplicates = new AtomicLong(),
            inDoubt = new AtomicLong(), refused = new AtomicLong(), malformed = new AtomicLong();
    private final Deque<String> recentInDoubt = new ConcurrentLinkedDeque<>();
    /** Told every message counted in doubt (tests check each against the receiver's record); null: nobody. */
    volatile java.util.function.BiConsumer<Pid, Object> inDoubtListener;

    record Link(Pid local, RemotePid remote) {
    }

    record OutMonitor(Ref ref, Pid watcher, RemotePid target) {
    }

    record InMonitor(Peer peer, long id, Pid target) {
    }

    record NodeWatch(Pid watcher, String node) {
    }

    /** Per node and incarnation, the sessions from it that have ended (a few longs per partition it went through). */
    private final Map<String, Set<Long>> endedSessions = new ConcurrentHashMap<>();
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Map<Long, OutMonitor> outMonitors = new ConcurrentHashMap<>();
    private final Map<Ref, Long> monitorIds = new ConcurrentHashMap<>();
    private final AtomicLong nextMonitor = new AtomicLong();
    private final Map<String, InMonitor> inMonitors = new ConcurrentHashMap<>();
    private final Set<Long> watched = ConcurrentHashMap.newKeySet();
    private final List<NodeWatch> nodeWatches = new CopyOnWriteArrayList<>();

    private final Map<String, Pid> globals = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Boolean>> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong();

    /**
     * A ref made on another node stands for the same local {@link Ref} every time it arrives, so a reply matches its
     * request. These maps grow with the refs that arrive (cleared when their node goes: see nodeDown).
     */
    private final Map<Ref, ForeignRef> foreignRefKeys = new ConcurrentHashMap<>();
    private final Map<ForeignRef, Ref> foreignRefs = new ConcurrentHashMap<>();

    record ForeignRef(String node, long incarnation, long key) {
    }

    private final Map<Ref, Long> localRefKeys = Collections.synchronizedMap(new WeakHashMap<>());
    private final Map<Long, WeakReference<Ref>> localRefs = new ConcurrentHashMap<>();
    private final AtomicLong nextRefKey = new AtomicLong();

    /** What this node knows of another member. */
    static final class Peer {
        final Address address;
        final String name;
        final long incarnation;
        final int index;
        volatile Map<String, String> modules;
        // sending, guarded by this
        final long epoch = RANDOM.nextLong();
        long nextSeq;
        final ArrayDeque<Pending> unacked = new ArrayDeque<>();
        boolean gone;
        /** Frames not yet handed to JGroups, in order, and the messages among them; one thread flushes at a time. */
        List<byte[]> outbox = new ArrayList<>();
        List<Pending> outboxMessages = new ArrayList<>();
        int outboxBytes;
        boolean flushing;
        /** When the last flush found the queue empty ({@link System#nanoTime}): a send soon after is a stream. */
        long lastFlushEnd = Long.MIN_VALUE / 2;
        // receiving, guarded by in
        final Object in = new Object();
        long inEpoch;
        long deliveredSeq;
        int sinceAck;

        Peer(Address address, String name, long incarnation, int index, Map<String, String> modules) {
            this.address = address;
            this.name = name;
            this.incarnation = incarnation;
            this.index = index;
            this.modules = modules;
        }

        String key() {
            return name + "#" + incarnation;
        }
    }

    record Pending(long seq, RemotePid to, Object message) {
    }

    /** Counters of the delivery accounting (see the class comment). */
    public record Stats(long sent, long delivered, long duplicates, long inDoubt, long refused, long malformed) {
    }

    /** A member of the cluster as {@code hotcode:nodes} shows it. */
    public record Member(int index, String node, long incarnation, String address, boolean self,
                         Map<String, String> modules) {
    }

    private ClusterNode(LocalNode local, ClusterConfig config, boolean withDiscard) throws Exception {
        this.local = local;
        this.config = config;
        this.name = config.node();
        long inc;
        do {
            inc = RANDOM.nextLong() & Long.MAX_VALUE;
        } while (inc == 0);
        this.incarnation = inc;
        this.discard = withDiscard ? new DISCARD() : null;
        this.channel = withBundleLoader(() -> new JChannel(config.stack(discard)).name(config.node()));
        this.acks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hotcode-cluster-acks " + name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Joins the cluster {@code config} names and attaches the node to the runtime. Fails, naming the cluster, when
     * the cluster refuses this node (another secret) or the network cannot be reached.
     */
    public static ClusterNode start(LocalNode local, ClusterConfig config) throws Exception {
        return start(local, config, false);
    }

    /** {@link #start}, with a DISCARD protocol above the transport to inject loss (tests). */
    static ClusterNode start(LocalNode local, ClusterConfig config, boolean withDiscard) throws Exception {
        ClusterNode n = new ClusterNode(local, config, withDiscard);
        try {
            n.net = local.spawn(n.netLoop());
            n.channel.receiver(n);
            n.withBundleLoader(() -> n.channel.connect(config.cluster()));
            n.acks.scheduleWithFixedDelay(n::flushAcks, ACK_MILLIS, ACK_MILLIS, TimeUnit.MILLISECONDS);
            n.acks.scheduleWithFixedDelay(n::announceModules, 2, 2, TimeUnit.SECONDS);
            local.attach(n);
            LOG.log(System.Logger.Level.INFO, "node " + n.name + " (incarnation " + n.incarnation + ") joined " + config
                    + " as " + n.channel.getAddress() + "; view " + n.channel.getView());
            return n;
        } catch (Exception | Error e) {
            n.closeQuietly();
            throw e;
        }
    }

    interface Call<T> {
        T call() throws Exception;
    }

    /**
     * Runs {@code c} with this bundle's class loader as the thread's context loader: JGroups looks classes and
     * resources up through the context loader first (Util.loadClass, the magic-number map), and on a Felix thread
     * or a process thread that loader is not ours.
     */
    private <T> T withBundleLoader(Call<T> c) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(ClusterNode.class.getClassLoader());
        try {
            return c.call();
        } finally {
            t.setContextClassLoader(before);
        }
    }

    // ------------------------------------------------------------------ NodeTransport

    @Override
    public String node() {
        return name;
    }

    public long incarnation() {
        return incarnation;
    }

    @Override
    public List<String> nodes() {
        return new ArrayList<>(new TreeMap<>(byName).keySet());
    }

    @Override
    public void send(RemotePid to, Object message) {
        if (isSelf(to)) { // a pid of this node that had exited when it came back from another node
            local.send(to.id(), message);
            return;
        }
        if (to.node().equals(name)) { // a previous incarnation of this node: that process is gone for good
            local.deadLetter(to, message, Hotcode.NOPROC);
            return;
        }
        Peer p = byName.get(to.node());
        if (p == null || p.incarnation != to.incarnation()) {
            local.deadLetter(to, message, NOCONNECTION);
            return;
        }
        byte[] value;
        try {
            value = encode(message);
        } catch (IncompatibleValueException e) {
            LOG.log(System.Logger.Level.WARNING, "message to " + to + " on node " + to.node() + " not sent: " + e.getMessage());
            local.deadLetter(to, message, INCOMPATIBLE);
            return;
        }
        sendValue(p, to, message, value);
    }

    /** Sends an encoded message to {@code to} on {@code p}, numbered in the pair's sequence. */
    void sendValue(Peer p, RemotePid to, Object message, byte[] value) {
        boolean flushHere;
        boolean streaming = false;
        synchronized (p) { // one sequence per pair, queued in that order
            if (p.gone) {
                local.deadLetter(to, message, NOCONNECTION);
                return;
            }
            long seq = ++p.nextSeq;
            Pending m = new Pending(seq, to, message);
            p.unacked.add(m);
            p.outboxMessages.add(m);
            flushHere = enqueue(p, msgFrame(p, p.epoch, seq, to.id(), value), true);
            if (flushHere) {
                streaming = System.nanoTime() - p.lastFlushEnd < STREAM_NANOS;
            }
        }
        sent.incrementAndGet();
        if (flushHere) {
            if (streaming) {
                // the last flush just ended: a stream. Flushed by the flusher, so this sender goes on queueing
                // meanwhile and what it queues leaves as one batch (one JGroups message, not one per message)
                flushLater(p);
            } else {
                flush(p); // a single send (a request, a reply): at once, on this thread, no hand-off
            }
        }
    }

    /**
     * Queues {@code frame} for {@code p} (the caller holds {@code p}'s lock); true when the caller is to flush. Every
     * frame to a member goes through this queue, so messages and signals (links, exits, monitors) keep their order
     * between two nodes, as Erlang keeps the order of signals between two processes. A sender that finds the queue
     * full (a flusher is busy and 4 MB wait) waits for it: the back-pressure a fast sender needs. Only a process
     * sending a message waits ({@code mayWait}); acknowledgements and signals, which JGroups' own threads send while
     * they deliver, never do: two nodes sending hard to each other must not wait for each other's delivery threads.
     */
    private boolean enqueue(Peer p, byte[] frame, boolean mayWait) {
        while (mayWait && p.flushing && p.outboxBytes > MAX_OUTBOX_BYTES && !p.gone) {
            try {
                p.wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        p.outbox.add(frame);
        p.outboxBytes += frame.length;
        if (p.flushing) {
            return false;
        }
        p.flushing = true;
        return true;
    }

    /**
     * Hands what is queued for {@code p} to JGroups, several frames in one message when several are queued (what
     * accumulated while the last one was being sent): the first sender to find the queue idle flushes, the others
     * only queue. After a few rounds the flusher hands over to a pool thread, so a sending process is not kept
     * flushing for others for long.
     */
    private void flush(Peer p) {
        for (int round = 0; ; round++) {
            List<byte[]> frames;
            List<Pending> messages;
            synchronized (p) {
                if (p.outbox.isEmpty()) {
                    p.flushing = false;
                    p.lastFlushEnd = System.nanoTime();
                    p.notifyAll();
                    return;
                }
                if (round == 8) {
                    flusher.execute(() -> flush(p));
                    return;
                }
                frames = p.outbox;
                messages = p.outboxMessages;
                p.outbox = new ArrayList<>();
                p.outboxMessages = new ArrayList<>();
                p.outboxBytes = 0;
                p.notifyAll();
            }
            try {
                channel.send(new BytesMessage(p.address, frames.size() == 1 ? frames.get(0) : batch(p, frames)));
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "node " + name + ": " + frames.size() + " frame(s) to " + p.name
                        + " not sent: " + e);
                synchronized (p) {
                    p.unacked.removeAll(messages);
                }
                for (Pending m : messages) {
                    local.deadLetter(m.to(), m.message(), NOCONNECTION);
                }
            }
        }
    }

    private byte[] batch(Peer p, List<byte[]> frames) {
        return frame(BATCH, p, out -> {
            out.writeInt(frames.size());
            for (byte[] f : frames) {
                out.writeInt(f.length);
                out.write(f);
            }
        });
    }

    @Override
    public void exit(Pid from, RemotePid to, Object reason) {
        Peer p = peerOf(to);
        if (p != null) {
            send(p, frame(EXIT, p, out -> {
                writePid(out, from == null ? new RemotePid(name, incarnation, 0, 0) : from);
                out.writeLong(to.id());
                writeReason(out, reason);
                out.writeBoolean(false);
            }));
        } else if (isSelf(to)) {
            // an exited local process: nothing to signal
        } // else: not connected, the signal is lost as with Erlang's exit/2 to a node that is not connected
    }

    @Override
    public void link(Pid self, RemotePid other) {
        Peer p = peerOf(other);
        if (p == null) {
            local.exitSignal(self, other, isSelf(other) ? Hotcode.NOPROC : NOCONNECTION, true);
            return;
        }
        if (links.add(new Link(self, other))) {
            watch(self);
            send(p, frame(LINK, p, out -> {
                writePid(out, self);
                out.writeLong(other.id());
            }));
        }
    }

    @Override
    public void unlink(Pid self, RemotePid other) {
        if (links.remove(new Link(self, other))) {
            Peer p = peerOf(other);
            if (p != null) {
                send(p, frame(UNLINK, p, out -> {
                    writePid(out, self);
                    out.writeLong(other.id());
                }));
            }
        }
    }

    @Override
    public Ref monitor(Pid self, RemotePid target) {
        Ref ref = Ref.make();
        Peer p = peerOf(target);
        if (p == null) {
            local.send(self, Tuple.of(Hotcode.DOWN, ref, PROCESS, target, isSelf(target) ? Hotcode.NOPROC : NOCONNECTION));
            return ref;
        }
        long id = nextMonitor.incrementAndGet();
        outMonitors.put(id, new OutMonitor(ref, self, target));
        monitorIds.put(ref, id);
        watch(self); // its monitors go when it exits
        send(p, frame(MON, p, out -> {
            out.writeLong(id);
            out.writeLong(target.id());
        }));
        return ref;
    }

    @Override
    public boolean demonitor(Pid self, Ref ref) {
        Long id = monitorIds.remove(ref);
        if (id == null) {
            return false;
        }
        OutMonitor m = outMonitors.remove(id);
        Peer p = m == null ? null : peerOf(m.target());
        if (p != null) {
            send(p, frame(DEMON, p, out -> out.writeLong(id)));
        }
        return true;
    }

    @Override
    public void monitorNode(Pid self, String node, boolean on) {
        if (on) {
            if (byName.containsKey(node)) {
                nodeWatches.add(new NodeWatch(self, node));
                watch(self);
            } else {
                local.send(self, Tuple.of(NODEDOWN, node));
            }
        } else {
            nodeWatches.remove(new NodeWatch(self, node));
        }
    }

    // ------------------------------------------------------------------ global names

    @Override
    public boolean registerGlobal(String gname, Pid pid) {
        if (gname == null || pid == null) {
            throw new HotcodeException("Global.register: name and pid must not be null");
        }
        View v = channel.getView();
        Address coord = v == null ? null : v.getCoord();
        if (coord == null || coord.equals(channel.getAddress())) {
            return decideRegistration(gname, pid);
        }
        Peer c = peers.get(coord);
        if (c == null) {
            throw new HotcodeException("Global.register " + gname + ": the coordinator " + coord
                    + " has not said hello yet; try again");
        }
        long req = nextRequest.incrementAndGet();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        registrations.put(req, answer);
        try {
            send(c, frame(GREG, c, out -> {
                out.writeLong(req);
                out.writeUTF(gname);
                writePid(out, pid);
            }));
            boolean ok = answer.get(5, TimeUnit.SECONDS);
            if (ok) {
                applyGlobal(gname, pid);
            }
            return ok;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new HotcodeException("Global.register " + gname + ": no answer from the coordinator " + c.name
                    + " within 5 s (it may have left; try again)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException("Global.register " + gname + ": interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new HotcodeException("Global.register " + gname + ": " + e.getCause());
        } finally {
            registrations.remove(req);
        }
    }

    /** The coordinator's decision: first come, first served; the winner is announced to every member. */
    private synchronized boolean decideRegistration(String gname, Pid pid) {
        Pid holder = globals.get(gname);
        if (holder != null) {
            return holder.equals(pid);
        }
        applyGlobal(gname, pid);
        multicast(GADD, out -> {
            out.writeUTF(gname);
            writePid(out, pid);
        });
        return true;
    }

    @Override
    public void unregisterGlobal(String gname) {
        Pid holder = globals.remove(gname);
        if (holder != null) {
            multicast(GDEL, out -> {
                out.writeUTF(gname);
                writePid(out, holder);
            });
        }
    }

    @Override
    public Pid whereisGlobal(String gname) {
        return globals.get(gname);
    }

    /**
     * Takes registration {@code gname -> pid}, from the coordinator or from a member republishing its names after a
     * view change. Two different holders (after a partition healed): the pid whose node name sorts first, then the
     * older... the smaller incarnation, keeps the name; a local loser is told {@code {global_name_conflict, Name,
     * Winner}}. Every node applies the same rule to the same pair, so all agree without a round of messages.
     */
    private void applyGlobal(String gname, Pid pid) {
        Pid loser = null;
        synchronized (globals) {
            Pid holder = globals.get(gname);
            if (holder == null || holder.equals(pid)) {
                globals.put(gname, pid);
            } else if (rank(pid, holder) < 0) {
                globals.put(gname, pid);
                loser = holder;
            } else {
                loser = pid;
            }
        }
        if (!(pid instanceof RemotePid) && pid.equals(globals.get(gname))) {
            watch(pid); // the name goes when its process does
        }
        if (loser != null && !(loser instanceof RemotePid)) {
            LOG.log(System.Logger.Level.WARNING, "global name " + gname + ": conflict after a partition healed;"
                    + " kept " + globals.get(gname) + ", removed " + loser + " (this node's)");
            local.send(loser, Tuple.of(CONFLICT, gname, globals.get(gname)));
        }
    }

    private int rank(Pid a, Pid b) {
        int c = nodeOf(a).compareTo(nodeOf(b));
        if (c != 0) {
            return c;
        }
        return Long.compare(incarnationOf(a), incarnationOf(b));
    }

    /** Not {@code Pid.node()}: for a local pid that asks the installed runtime, which need not be this node's. */
    private String nodeOf(Pid p) {
        return p instanceof RemotePid r ? r.node() : name;
    }

    private long incarnationOf(Pid p) {
        return p instanceof RemotePid r ? r.incarnation() : incarnation;
    }

    // ------------------------------------------------------------------ JGroups: views and frames

    @Override
    public void viewAccepted(View view) {
        List<Address> members = view.getMembers();
        for (Peer p : new ArrayList<>(peers.values())) {
            if (!members.contains(p.address)) {
                nodeDown(p, "left the view " + view.getViewId());
            }
        }
        List<Map.Entry<Address, Hello>> early = new ArrayList<>();
        synchronized (earlyHellos) {
            for (Address a : members) {
                Hello h = earlyHellos.remove(a);
                if (h != null) {
                    early.add(Map.entry(a, h));
                }
            }
        }
        for (Map.Entry<Address, Hello> e : early) {
            accept(e.getKey(), e.getValue());
        }
        Address me = channel.getAddress();
        for (Address a : members) {
            if (!a.equals(me) && !peers.containsKey(a)) {
                sendHello(a);
            }
        }
    }

    /**
     * Says which modules another node runs in another version than this one (a rolling upgrade in progress, or a node
     * that joined with an older release): records of those modules do not cross between the two nodes (dead letter
     * {@code incompatible}) until both run the same version. A log line, not a refusal: mixed versions are how a
     * rolling upgrade goes.
     */
    private void compareVersions(String peerName, Map<String, String> theirs) {
        Map<String, String> ours = local.moduleVersions();
        List<String> differ = new ArrayList<>();
        for (Map.Entry<String, String> e : theirs.entrySet()) {
            String mine = ours.get(e.getKey());
            if (mine != null && !mine.equals(e.getValue())) {
                differ.add(e.getKey() + " " + e.getValue() + " there, " + mine + " here");
            }
        }
        if (!differ.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": node " + peerName + " runs other versions: "
                    + String.join("; ", differ) + " (records of these modules do not cross between the two nodes"
                    + " until they run the same version: dead letter incompatible)");
        }
    }

    private volatile Map<String, String> announced = Map.of();

    /**
     * Says hello again to every member when this node's modules changed (a load, an update, a purge), so that
     * {@code hotcode:nodes} on every node shows the versions each node runs, within a few seconds.
     */
    private void announceModules() {
        try {
            Map<String, String> mods = local.moduleVersions();
            if (mods.equals(announced)) {
                return;
            }
            boolean first = announced.isEmpty() && peers.isEmpty();
            announced = mods;
            if (!first) {
                Message m = new BytesMessage(null, helloFrame());
                m.setFlag(Message.TransientFlag.DONT_LOOPBACK);
                channel.send(m);
            }
        } catch (Exception | Error e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": announcing its modules failed: " + e);
        }
    }

    private void sendHello(Address to) {
        try {
            channel.send(new BytesMessage(to, helloFrame()));
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": hello to " + to + " not sent: " + e);
        }
    }

    private byte[] helloFrame() {
        Map<String, String> mods = local.moduleVersions();
        return frame(HELLO, null, out -> {
            out.writeUTF(name);
            out.writeLong(incarnation);
            out.writeInt(mods.size());
            for (Map.Entry<String, String> e : mods.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        });
    }

    @Override
    public void receive(Message msg) {
        handle(msg.getSrc(), msg.getArray(), msg.getOffset(), msg.getLength(), msg.getDest() == null, 0);
    }

    private void handle(Address src, byte[] bytes, int offset, int length, boolean multicast, int depth) {
        byte type = -1;
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, offset, length));
            if (length < 19 || in.readByte() != MAGIC || in.readByte() != VERSION) {
                malformed(src, "not a Hotcode frame of version " + VERSION);
                return;
            }
            type = in.readByte();
            long srcInc = in.readLong();
            long dstInc = in.readLong();
            if (type == HELLO) {
                hello(src, in);
                return;
            }
            if (type == BATCH) { // frames one after the other, each checked on its own (the first may be a hello)
                if (depth > 0) {
                    malformed(src, "a batch inside a batch");
                    return;
                }
                int n = in.readInt();
                int at = offset + 19 + 4;
                for (int i = 0; i < n; i++) {
                    int len = in.readInt();
                    if (len < 0 || at + 4 + len > offset + length) {
                        malformed(src, "batch entry " + i + " of length " + len + " beyond the frame");
                        return;
                    }
                    handle(src, bytes, at + 4, len, false, depth + 1);
                    in.skipBytes(len);
                    at += 4 + len;
                }
                return;
            }
            Peer p = peers.get(src);
            if (p == null || p.incarnation != srcInc) {
                refused(src, type, "from an unknown incarnation " + srcInc + " of member " + src
                        + (p == null ? " (no hello from it)" : " (it is incarnation " + p.incarnation + ")"));
                return;
            }
            if (dstInc != incarnation && !(dstInc == 0 && multicast)) { // 0: a multicast, to every member
                refused(src, type, "addressed to incarnation " + dstInc + " of node " + name + ", which is "
                        + incarnation);
                return;
            }
            switch (type) {
                case MSG -> onMessage(p, in);
                case ACK -> onAck(p, in.readLong(), in.readLong());
                case EXIT -> onExit(p, in);
                case LINK -> onLink(p, in);
                case UNLINK -> onUnlink(in);
                case MON -> onMonitor(p, in);
                case DEMON -> unwatchMonitor(p, in.readLong());
                case DOWN -> onDown(in);
                case GREG -> onRegister(p, in);
                case GREG_REPLY -> {
                    CompletableFuture<Boolean> f = registrations.get(in.readLong());
                    if (f != null) {
                        f.complete(in.readBoolean());
                    }
                }
                case CLOAD -> {
                    long id = in.readLong();
                    String url = in.readUTF();
                    startLocalInstall(id, null, url, p);
                }
                case CLOAD_MODULE -> {
                    long id = in.readLong();
                    String module = in.readUTF();
                    String url = in.readUTF();
                    startLocalInstall(id, module, url, p);
                }
                case VOTE -> recordVote(in.readLong(), p.name, in.readBoolean() ? null : in.readUTF());
                case VERDICT -> {
                    long id = in.readLong();
                    String reason = in.readBoolean() ? null : in.readUTF();
                    verdicts.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(reason);
                }
                case DONE -> recordDone(in.readLong(), p.name, in.readBoolean(), in.readUTF());
                case CALL -> onCall(p, in);
                case REPLY -> onReply(p, in);
                case GADD -> applyGlobal(in.readUTF(), readPid(in));
                case GDEL -> {
                    String gname = in.readUTF();
                    Pid pid = readPid(in);
                    globals.remove(gname, pid);
                }
                case GSYNC -> {
                    int n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        applyGlobal(in.readUTF(), readPid(in));
                    }
                }
                default -> malformed(src, "unknown frame type " + type);
            }
        } catch (IOException | RuntimeException e) {
            malformed(src, "frame type " + type + ": " + e);
        }
    }

    private void hello(Address src, DataInput in) throws IOException {
        String peerName = in.readUTF();
        long inc = in.readLong();
        int n = in.readInt();
        if (n < 0 || n > 100_000) {
            throw new IOException("malformed hello: " + n + " modules");
        }
        Map<String, String> mods = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            mods.put(in.readUTF(), in.readUTF());
        }
        synchronized (earlyHellos) { // the view check and the put under the lock viewAccepted drains under
            View v = channel.getView();
            if (v == null || !v.containsMember(src)) {
                // a member whose view reached it before ours reached us: taken when our view has it (viewAccepted)
                if (earlyHellos.size() < 1000) {
                    earlyHellos.put(src, new Hello(peerName, inc, mods));
                } else {
                    refused(src, HELLO, "hello from " + peerName + " at " + src + ", which is not in the view " + v);
                }
                return;
            }
        }
        accept(src, new Hello(peerName, inc, mods));
    }

    record Hello(String name, long incarnation, Map<String, String> modules) {
    }

    private final Map<Address, Hello> earlyHellos = new LinkedHashMap<>();

    private void accept(Address src, Hello h) {
        String peerName = h.name();
        long inc = h.incarnation();
        Map<String, String> mods = h.modules();
        if (peerName.equals(name)) {
            refused(src, HELLO, "node name " + peerName + " is this node's own: names must be unique in the cluster");
            return;
        }
        Peer known = peers.get(src);
        if (known != null && known.incarnation == inc) {
            if (!mods.equals(known.modules)) {
                compareVersions(peerName, mods);
            }
            known.modules = mods;
            return;
        }
        Peer other = byName.get(peerName);
        if (other != null && !other.address.equals(src)) {
            refused(src, HELLO, "node name " + peerName + " is taken by member " + other.address);
            return;
        }
        Peer p = new Peer(src, peerName, inc, indexOf(peerName, inc), mods);
        synchronized (p) {
            // it may have missed our hello (it said hello first): queued first, before anything another thread
            // sends it once the peer is published, since it refuses frames from a node that has not said hello
            p.outbox.add(helloFrame());
            p.flushing = true;
        }
        peers.put(src, p);
        byName.put(peerName, p);
        flushLater(p); // not on the reader thread: see send(Peer, byte[])
        LOG.log(System.Logger.Level.INFO, "node " + name + ": node " + peerName + " (incarnation " + inc + ", "
                + src + ") is up, modules " + mods);
        compareVersions(peerName, mods);
        // what this node registered globally, for the newcomer (after the hello: UNICAST3 keeps the order)
        List<Map.Entry<String, Pid>> mine = new ArrayList<>();
        for (Map.Entry<String, Pid> e : globals.entrySet()) {
            if (!(e.getValue() instanceof RemotePid)) {
                mine.add(e);
            }
        }
        if (!mine.isEmpty()) {
            send(p, frame(GSYNC, p, out -> {
                out.writeInt(mine.size());
                for (Map.Entry<String, Pid> e : mine) {
                    out.writeUTF(e.getKey());
                    writePid(out, e.getValue());
                }
            }));
        }
    }

    private void onMessage(Peer p, DataInput in) throws IOException {
        long epoch = in.readLong();
        long seq = in.readLong();
        long target = in.readLong();
        boolean ackNow;
        synchronized (p.in) {
            if (epoch != p.inEpoch) {
                Set<Long> ended = endedSessions.computeIfAbsent(p.key(), k -> ConcurrentHashMap.newKeySet());
                if (ended.contains(epoch)) {
                    // a retransmission from a session that ended when a partition split us: its sender counted these
                    // in doubt; delivering them now could deliver one twice, so they are dropped and counted
                    refused.incrementAndGet();
                    warnLimited("node " + name + ": message " + seq + " from " + p.name
                            + " of an ended session dropped (counted in doubt by its sender)");
                    return;
                }
                if (p.inEpoch != 0) {
                    ended.add(p.inEpoch);
                }
                p.inEpoch = epoch; // a new session from that node (it saw this node anew): numbering restarts
                p.deliveredSeq = 0;
            }
            if (seq <= p.deliveredSeq) {
                duplicates.incrementAndGet();
                LOG.log(System.Logger.Level.DEBUG, "duplicate message " + seq + " from " + p.name + " dropped");
                return;
            }
            if (seq != p.deliveredSeq + 1) {
                LOG.log(System.Logger.Level.WARNING, "messages " + (p.deliveredSeq + 1) + ".." + (seq - 1) + " from "
                        + p.name + " never arrived (the sender counts them in doubt)");
            }
            p.deliveredSeq = seq;
            ackNow = ++p.sinceAck >= ACK_EVERY;
            // delivered inside the lock: two JGroups threads never reorder one sender's messages
            deliverDecoded(p, target, in);
        }
        if (ackNow) {
            sendAck(p);
        }
    }

    private void deliverDecoded(Peer p, long target, DataInput in) throws IOException {
        Object message;
        try {
            message = codec.read(in);
        } catch (IncompatibleValueException e) {
            LOG.log(System.Logger.Level.WARNING, "message from node " + p.name + " to <0." + target + ".0> refused: "
                    + e.getMessage());
            Pid to = local.pid(target);
            local.deadLetter(to != null ? to : new RemotePid(name, incarnation, target, 0),
                    "<unreadable value from node " + p.name + ": " + e.getMessage() + ">", INCOMPATIBLE);
            delivered.incrementAndGet(); // accounted for (a dead letter here)
            return;
        }
        delivered.incrementAndGet();
        local.send(target, message);
    }

    private void onAck(Peer p, long epoch, long upTo) {
        if (epoch != p.epoch) {
            return; // an acknowledgement of an earlier session
        }
        synchronized (p) {
            while (!p.unacked.isEmpty() && p.unacked.peekFirst().seq() <= upTo) {
                p.unacked.pollFirst();
            }
        }
    }

    private void flushAcks() {
        for (Peer p : peers.values()) {
            boolean due;
            synchronized (p.in) {
                due = p.sinceAck > 0;
            }
            if (due) {
                sendAck(p);
            }
        }
    }

    private void sendAck(Peer p) {
        long epoch;
        long upTo;
        synchronized (p.in) {
            epoch = p.inEpoch;
            upTo = p.deliveredSeq;
            p.sinceAck = 0;
        }
        send(p, frame(ACK, p, out -> {
            out.writeLong(epoch);
            out.writeLong(upTo);
        }));
    }

    private void onExit(Peer p, DataInput in) throws IOException {
        Pid from = readPid(in);
        long target = in.readLong();
        Object reason = codec.read(in);
        boolean link = in.readBoolean();
        Pid to = local.pid(target);
        if (to == null) {
            return; // gone already: as in Erlang, an exit signal to a dead process is nothing
        }
        if (link && (!(from instanceof RemotePid r) || !links.remove(new Link(to, r)))) {
            return; // unlinked meanwhile: the link's signal no longer applies
        }
        local.exitSignal(to, from, reason, link);
    }

    private void onLink(Peer p, DataInput in) throws IOException {
        Pid from = readPid(in);
        long target = in.readLong();
        Pid to = local.pid(target);
        if (!(from instanceof RemotePid r)) {
            return;
        }
        if (to == null) { // linking a dead process: an exit signal noproc back, as locally
            links.remove(new Link(from, r));
            send(p, frame(EXIT, p, out -> {
                writePid(out, new RemotePid(name, incarnation, target, 0));
                out.writeLong(r.id());
                writeReason(out, Hotcode.NOPROC);
                out.writeBoolean(true);
            }));
            return;
        }
        links.add(new Link(to, r));
        watch(to);
    }

    private void onUnlink(DataInput in) throws IOException {
        Pid from = readPid(in);
        Pid to = local.pid(in.readLong());
        if (to != null && from instanceof RemotePid r) {
            links.remove(new Link(to, r));
        }
    }

    private void onMonitor(Peer p, DataInput in) throws IOException {
        long id = in.readLong();
        long target = in.readLong();
        Pid to = local.pid(target);
        if (to == null) {
            sendDown(p, id, new RemotePid(name, incarnation, target, 0), Hotcode.NOPROC);
            return;
        }
        inMonitors.put(p.key() + "/" + id, new InMonitor(p, id, to));
        watch(to);
    }

    private void unwatchMonitor(Peer p, long id) {
        inMonitors.remove(p.key() + "/" + id);
    }

    private void onDown(DataInput in) throws IOException {
        long id = in.readLong();
        readPid(in);
        Object reason = codec.read(in);
        OutMonitor m = outMonitors.remove(id);
        if (m != null) {
            monitorIds.remove(m.ref());
            local.send(m.watcher(), Tuple.of(Hotcode.DOWN, m.ref(), PROCESS, m.target(), reason));
        }
    }

    private void sendDown(Peer p, long id, Pid target, Object reason) {
        send(p, frame(DOWN, p, out -> {
            out.writeLong(id);
            writePid(out, target);
            writeReason(out, reason);
        }));
    }

    private void onRegister(Peer p, DataInput in) throws IOException {
        long req = in.readLong();
        String gname = in.readUTF();
        Pid pid = readPid(in);
        boolean ok = decideRegistration(gname, pid);
        send(p, frame(GREG_REPLY, p, out -> {
            out.writeLong(req);
            out.writeBoolean(ok);
        }));
    }

    // ------------------------------------------------------------------ coordinated load (hotcode:cluster load)

    /** On every node: the verdict of a load it has prepared (null: commit; else why to abort). */
    private final Map<Long, CompletableFuture<String>> verdicts = new ConcurrentHashMap<>();
    /** On the node that started a load: the votes and outcomes of its members. */
    private final Map<Long, LoadRound> rounds = new ConcurrentHashMap<>();

    static final class LoadRound {
        final Set<String> members;
        /** Node -> null when prepared, else why it could not. */
        final Map<String, java.util.Optional<String>> votes = new TreeMap<>();
        /** Node -> its installation's outcome. */
        final Map<String, String> done = new TreeMap<>();
        final Map<String, Boolean> ok = new TreeMap<>();

        LoadRound(Set<String> members) {
            this.members = members;
        }
    }

    /**
     * {@code hotcode:cluster load <release>}: installs the release at {@code url} on every node of the cluster, all or
     * nothing. Every node prepares it (its local transaction: modules loaded, servers suspended and migrated, nothing
     * current), votes, and waits at the barrier; when every node has prepared, all commit, else all roll back. A node
     * that cannot prepare, that leaves the cluster, or that does not vote within the timeout aborts the load
     * everywhere, and the report names it and why. Like any two-phase commit, a node that dies after voting and
     * before it commits stays on the old release (it has nothing to commit when it comes back).
     */
    public String clusterLoad(String url) throws InterruptedException {
        return clusterLoad(null, url);
    }

    /**
     * {@code hotcode:cluster load <module> <url>}: loads version {@code url} of {@code module} on every node, all or
     * nothing, as {@link #clusterLoad(String)} installs a release: every node prepares it (its local {@code load}: new
     * version loaded, not current; servers suspended, every {@code codeChange} run and staged), votes and waits; all
     * commit, or all roll back (every server on its old version with its state and mailbox). {@code module} null: a
     * release.
     */
    public String clusterLoad(String module, String url) throws InterruptedException {
        String what = module == null ? url : module + " " + url;
        long id = RANDOM.nextLong();
        Set<String> members = new java.util.TreeSet<>(byName.keySet());
        members.add(name);
        LoadRound round = new LoadRound(members);
        rounds.put(id, round);
        try {
            for (Peer p : new ArrayList<>(peers.values())) {
                send(p, frame(module == null ? CLOAD : CLOAD_MODULE, p, out -> {
                    out.writeLong(id);
                    if (module != null) {
                        out.writeUTF(module);
                    }
                    out.writeUTF(url);
                }));
            }
            startLocalInstall(id, module, url, null);
            long deadline = System.currentTimeMillis() + LOAD_TIMEOUT_MILLIS;
            String abort;
            synchronized (round) {
                while ((abort = refusal(round)) == null && round.votes.size() < members.size()
                        && System.currentTimeMillis() < deadline) {
                    round.wait(Math.max(1, deadline - System.currentTimeMillis()));
                }
                if (abort == null && round.votes.size() < members.size()) {
                    Set<String> silent = new java.util.TreeSet<>(members);
                    silent.removeAll(round.votes.keySet());
                    abort = "no vote within " + LOAD_TIMEOUT_MILLIS + " ms from " + silent;
                }
            }
            String verdict = abort;
            LOG.log(System.Logger.Level.INFO, "cluster load " + what + ": " + (verdict == null ? "every node prepared:"
                    + " commit" : "abort: " + verdict));
            for (String m : members) {
                Peer p = byName.get(m);
                if (p != null) {
                    send(p, frame(VERDICT, p, out -> {
                        out.writeLong(id);
                        out.writeBoolean(verdict == null);
                        if (verdict != null) {
                            out.writeUTF(verdict);
                        }
                    }));
                }
            }
            verdicts.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(verdict);
            synchronized (round) {
                while (round.done.size() < members.size() && System.currentTimeMillis() < deadline + LOAD_TIMEOUT_MILLIS) {
                    round.wait(Math.max(1, deadline + LOAD_TIMEOUT_MILLIS - System.currentTimeMillis()));
                }
                StringBuilder report = new StringBuilder("cluster load " + what + " on " + members + ": "
                        + (verdict == null ? "committed on every node" : "aborted on every node: " + verdict));
                for (String m : members) {
                    report.append("\n  ").append(m).append(": ")
                            .append(round.done.getOrDefault(m, "no outcome reported (left the cluster?)"));
                }
                return report.toString();
            }
        } finally {
            rounds.remove(id);
        }
    }

    /** The first node that could not prepare, with why; null while none has refused. */
    private static String refusal(LoadRound round) {
        for (Map.Entry<String, java.util.Optional<String>> v : round.votes.entrySet()) {
            if (v.getValue().isPresent()) {
                return "node " + v.getKey() + ": " + v.getValue().get();
            }
        }
        return null;
    }

    private void recordVote(long id, String node, String refusal) {
        LoadRound round = rounds.get(id);
        if (round != null) {
            synchronized (round) {
                round.votes.putIfAbsent(node, java.util.Optional.ofNullable(refusal));
                round.notifyAll();
            }
        }
    }

    private void recordDone(long id, String node, boolean ok, String outcome) {
        LoadRound round = rounds.get(id);
        if (round != null) {
            synchronized (round) {
                round.done.putIfAbsent(node, outcome);
                round.ok.putIfAbsent(node, ok);
                round.notifyAll();
            }
        }
    }

    /**
     * Installs a coordinated load here, on a thread of its own (never JGroups' delivery thread: preparing takes
     * time, and the barrier waits for the verdict that JGroups delivers). {@code initiator} null: this node started it.
     */
    private void startLocalInstall(long id, String module, String url, Peer initiator) {
        CompletableFuture<String> verdict = verdicts.computeIfAbsent(id, k -> new CompletableFuture<>());
        String from = initiator == null ? name : initiator.name;
        Thread t = new Thread(() -> {
            boolean[] voted = {false};
            try {
                hotcode.runtime.spi.node.ReleaseBarrier barrier = prepared -> {
                    voted[0] = true;
                    vote(initiator, id, null);
                    try {
                        return verdict.get(2 * LOAD_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        return "no verdict from node " + from + " within " + 2 * LOAD_TIMEOUT_MILLIS + " ms";
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return "interrupted while waiting for the verdict of node " + from;
                    } catch (java.util.concurrent.ExecutionException e) {
                        return String.valueOf(e.getCause());
                    }
                };
                Object r = module == null ? local.installRelease(url, barrier)
                        : "loaded " + local.load(module, url, barrier);
                if (!voted[0]) {
                    vote(initiator, id, null); // nothing to prepare here (the release is current already)
                }
                done(initiator, id, true, String.valueOf(r));
            } catch (RuntimeException e) {
                if (!voted[0]) {
                    vote(initiator, id, String.valueOf(e.getMessage()));
                }
                done(initiator, id, false, String.valueOf(e.getMessage()));
            } finally {
                verdicts.remove(id);
            }
        }, "hotcode-cluster-load " + (module == null ? "" : module + " ") + url);
        t.setDaemon(true);
        t.start();
    }

    private void vote(Peer initiator, long id, String refusal) {
        if (initiator == null) {
            recordVote(id, name, refusal);
            return;
        }
        send(initiator, frame(VOTE, initiator, out -> {
            out.writeLong(id);
            out.writeBoolean(refusal == null);
            if (refusal != null) {
                out.writeUTF(refusal);
            }
        }));
    }

    private void done(Peer initiator, long id, boolean ok, String outcome) {
        if (initiator == null) {
            recordDone(id, name, ok, outcome);
            return;
        }
        send(initiator, frame(DONE, initiator, out -> {
            out.writeLong(id);
            out.writeBoolean(ok);
            out.writeUTF(outcome.length() > 60_000 ? outcome.substring(0, 60_000) : outcome);
        }));
    }

    // ------------------------------------------------------------------ the console's requests (rpc:call)

    /** A request of this node's console to another node, waiting for its answer. */
    record PendingCall(Peer peer, CompletableFuture<Object> answer) {
    }

    private final Map<Long, PendingCall> calls = new ConcurrentHashMap<>();

    @Override
    public RemotePid pid(int index, long id) {
        for (Map.Entry<String, Integer> e : indices.entrySet()) {
            if (e.getValue() == index) {
                String key = e.getKey(); // node#incarnation, as indexOf makes it
                int at = key.lastIndexOf('#');
                return new RemotePid(key.substring(0, at), Long.parseLong(key.substring(at + 1)), id, index);
            }
        }
        return null;
    }

    @Override
    public boolean connected(RemotePid pid) {
        return peerOf(pid) != null;
    }

    /**
     * Erlang's {@code rpc:call} for the console: the request travels as a frame after everything this node sent to
     * {@code node} before (a {@code ps} there sees the messages sent to it from here), and is answered on a thread of
     * that node's own, never JGroups' delivery thread.
     */
    @Override
    public Object call(String node, String request, List<Object> args, long timeoutMillis) {
        if (node.equals(name)) {
            return local.serve(request, args);
        }
        Peer p = byName.get(node);
        if (p == null) {
            throw new HotcodeException(request + ": node " + node + " is not connected to node " + name
                    + " (connected: " + nodes() + ")");
        }
        byte[] value = encode(args);
        long id = nextRequest.incrementAndGet();
        PendingCall c = new PendingCall(p, new CompletableFuture<>());
        calls.put(id, c);
        try {
            synchronized (p) {
                if (p.gone) { // it went before the call was registered, so nodeDown did not see it
                    throw new HotcodeException(request + ": node " + node + " left the cluster");
                }
            }
            send(p, frame(CALL, p, out -> {
                out.writeLong(id);
                out.writeUTF(request);
                out.write(value);
            }));
            return c.answer().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new HotcodeException(request + ": node " + node + " did not answer within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException(request + ": interrupted while waiting for node " + node);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new HotcodeException(request + " on node " + node + ": " + e.getCause().getMessage());
        } finally {
            calls.remove(id);
        }
    }

    private void onCall(Peer p, DataInput in) throws IOException {
        long id = in.readLong();
        String request = in.readUTF();
        Object args = codec.read(in);
        try {
            flusher.execute(() -> {
                byte[] answer;
                String error = null;
                try {
                    answer = encode(local.serve(request, args instanceof List<?> l ? new ArrayList<>(l) : List.of()));
                } catch (RuntimeException e) {
                    answer = null;
                    error = String.valueOf(e.getMessage());
                }
                byte[] a = answer;
                String err = error;
                send(p, frame(REPLY, p, out -> {
                    out.writeLong(id);
                    out.writeBoolean(err == null);
                    if (err == null) {
                        out.write(a);
                    } else {
                        out.writeUTF(err.length() > 60_000 ? err.substring(0, 60_000) : err);
                    }
                }));
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // this node is closing: the caller sees it leave and fails the call
        }
    }

    private void onReply(Peer p, DataInput in) throws IOException {
        long id = in.readLong();
        PendingCall c = calls.get(id);
        if (c == null || c.peer() != p) {
            refused(p.address, REPLY, "an answer to request " + id + ", which this node did not send to " + p.name
                    + " or no longer waits for");
            return;
        }
        if (in.readBoolean()) {
            try {
                c.answer().complete(codec.read(in));
            } catch (IncompatibleValueException e) {
                c.answer().completeExceptionally(new HotcodeException("its answer cannot be read here: " + e.getMessage()));
            }
        } else {
            c.answer().completeExceptionally(new HotcodeException(in.readUTF()));
        }
    }

    // ------------------------------------------------------------------ local exits (the net process)

    private Next netLoop() {
        return new Next() {
            @Override
            public Next run() {
                Object m = Hotcode.receive();
                try {
                    if (m instanceof Tuple t) {
                        if (t.isTagged(WATCH, 2)) {
                            local.monitor((Pid) t.get(1));
                        } else if (t.isTagged(Hotcode.DOWN, 5)) {
                            localExit((Pid) t.get(3), t.get(4));
                        } else if (t.isTagged(STOP, 1)) {
                            return null;
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "node " + name + ": net process: " + m + ": " + e, e);
                }
                return this;
            }
        };
    }

    /** Has the net process monitor local {@code pid}, once: its exit is then told to the nodes that care. */
    private void watch(Pid pid) {
        if (!(pid instanceof RemotePid) && watched.add(pid.id())) {
            local.send(net, Tuple.of(WATCH, pid));
        }
    }

    private void localExit(Pid pid, Object reason) {
        watched.remove(pid.id());
        for (Link l : links) {
            if (l.local().equals(pid) && links.remove(l)) {
                Peer p = peerOf(l.remote());
                if (p != null) {
                    send(p, frame(EXIT, p, out -> {
                        writePid(out, pid);
                        out.writeLong(l.remote().id());
                        writeReason(out, reason);
                        out.writeBoolean(true);
                    }));
                }
            }
        }
        for (Map.Entry<String, InMonitor> e : inMonitors.entrySet()) {
            InMonitor m = e.getValue();
            if (m.target().equals(pid) && inMonitors.remove(e.getKey(), m)) {
                sendDown(m.peer(), m.id(), pid, reason);
            }
        }
        for (Map.Entry<String, Pid> e : globals.entrySet()) {
            if (e.getValue().equals(pid)) {
                unregisterGlobal(e.getKey());
            }
        }
        nodeWatches.removeIf(w -> w.watcher().equals(pid));
        for (Map.Entry<Long, OutMonitor> e : outMonitors.entrySet()) {
            if (e.getValue().watcher().equals(pid)) {
                demonitor(pid, e.getValue().ref());
            }
        }
    }

    // ------------------------------------------------------------------ a node goes

    private void nodeDown(Peer p, String why) {
        int doubt;
        synchronized (p) {
            p.gone = true;
            // queued but never handed to JGroups: not delivered, for certain
            Set<Pending> unsent = new java.util.HashSet<>(p.outboxMessages);
            p.unacked.removeIf(unsent::contains);
            doubt = p.unacked.size();
            for (Pending m : unsent) {
                local.deadLetter(m.to(), m.message(), NOCONNECTION);
            }
            java.util.function.BiConsumer<Pid, Object> listener = inDoubtListener;
            for (Pending m : p.unacked) {
                if (listener != null) {
                    listener.accept(m.to(), m.message());
                }
                recentInDoubt.addLast(m.to() + " on " + p.name + ": " + m.message());
                if (recentInDoubt.size() > 100) {
                    recentInDoubt.pollFirst();
                }
            }
            p.unacked.clear();
            p.outbox.clear();
            p.outboxMessages.clear();
            p.outboxBytes = 0;
            p.notifyAll();
        }
        inDoubt.addAndGet(doubt);
        peers.remove(p.address, p);
        byName.remove(p.name, p);
        synchronized (p.in) {
            if (p.inEpoch != 0) { // its session to us ends with it: late frames of it are never delivered (onMessage)
                endedSessions.computeIfAbsent(p.key(), k -> ConcurrentHashMap.newKeySet()).add(p.inEpoch);
            }
        }
        LOG.log(System.Logger.Level.WARNING, "node " + name + ": node " + p.name + " (incarnation " + p.incarnation
                + ") is down: " + why + (doubt == 0 ? "" : "; " + doubt + " message(s) to it in doubt"));
        for (Link l : links) {
            if (on(l.remote(), p) && links.remove(l)) {
                local.exitSignal(l.local(), l.remote(), NOCONNECTION, true);
            }
        }
        for (Map.Entry<Long, OutMonitor> e : outMonitors.entrySet()) {
            OutMonitor m = e.getValue();
            if (on(m.target(), p) && outMonitors.remove(e.getKey(), m)) {
                monitorIds.remove(m.ref());
                local.send(m.watcher(), Tuple.of(Hotcode.DOWN, m.ref(), PROCESS, m.target(), NOCONNECTION));
            }
        }
        inMonitors.values().removeIf(m -> m.peer() == p);
        for (PendingCall c : calls.values()) {
            if (c.peer() == p) {
                c.answer().completeExceptionally(new HotcodeException("node " + p.name + " left the cluster before it"
                        + " answered (" + why + ")"));
            }
        }
        for (Map.Entry<Long, LoadRound> e : rounds.entrySet()) { // a coordinated load it was part of aborts
            recordVote(e.getKey(), p.name, "left the cluster during the load (" + why + ")");
            recordDone(e.getKey(), p.name, false, "left the cluster during the load");
        }
        for (NodeWatch w : nodeWatches) {
            if (w.node().equals(p.name) && nodeWatches.remove(w)) {
                local.send(w.watcher(), Tuple.of(NODEDOWN, p.name));
            }
        }
        globals.values().removeIf(pid -> pid instanceof RemotePid r && on(r, p));
        foreignRefs.keySet().removeIf(k -> k.node().equals(p.name) && k.incarnation() == p.incarnation);
        foreignRefKeys.values().removeIf(k -> k.node().equals(p.name) && k.incarnation() == p.incarnation);
    }

    private static boolean on(RemotePid pid, Peer p) {
        return pid.node().equals(p.name) && pid.incarnation() == p.incarnation;
    }

    // ------------------------------------------------------------------ pids, refs, frames

    private boolean isSelf(RemotePid pid) {
        return pid.incarnation() == incarnation && pid.node().equals(name);
    }

    /** The connected member {@code pid} lives on, or null (not connected, or another incarnation). */
    private Peer peerOf(RemotePid pid) {
        Peer p = byName.get(pid.node());
        return p != null && p.incarnation == pid.incarnation() ? p : null;
    }

    private int indexOf(String node, long inc) {
        return indices.computeIfAbsent(node + "#" + inc, k -> nextIndex.incrementAndGet());
    }

    @Override
    public void writePid(DataOutput out, Pid pid) throws IOException {
        if (pid instanceof RemotePid r) {
            out.writeUTF(r.node());
            out.writeLong(r.incarnation());
        } else {
            out.writeUTF(name);
            out.writeLong(incarnation);
        }
        out.writeLong(pid.id());
    }

    @Override
    public Pid readPid(DataInput in) throws IOException {
        String node = in.readUTF();
        long inc = in.readLong();
        long id = in.readLong();
        if (node.equals(name) && inc == incarnation) {
            Pid p = local.pid(id);
            return p != null ? p : new RemotePid(name, incarnation, id, 0); // exited: sends count noproc here
        }
        return new RemotePid(node, inc, id, indexOf(node, inc));
    }

    @Override
    public void writeRef(DataOutput out, Ref ref) throws IOException {
        ForeignRef foreign = foreignRefKeys.get(ref);
        if (foreign != null) { // a ref another node made, going on to a third or back home
            out.writeUTF(foreign.node());
            out.writeLong(foreign.incarnation());
            out.writeLong(foreign.key());
            return;
        }
        long key;
        synchronized (localRefKeys) {
            Long k = localRefKeys.get(ref);
            if (k == null) {
                k = nextRefKey.incrementAndGet();
                localRefKeys.put(ref, k);
                localRefs.put(k, new WeakReference<>(ref));
            }
            key = k;
        }
        out.writeUTF(name);
        out.writeLong(incarnation);
        out.writeLong(key);
    }

    @Override
    public Ref readRef(DataInput in) throws IOException {
        String node = in.readUTF();
        long inc = in.readLong();
        long key = in.readLong();
        if (node.equals(name) && inc == incarnation) {
            WeakReference<Ref> w = localRefs.get(key);
            Ref r = w == null ? null : w.get();
            return r != null ? r : Ref.make(); // nobody holds it any more: a fresh ref matches nothing, as it should
        }
        return foreignRefs.computeIfAbsent(new ForeignRef(node, inc, key), k -> {
            Ref r = Ref.make();
            foreignRefKeys.put(r, k);
            return r;
        });
    }

    @Override
    public String[] moduleOf(Class<?> type) {
        return local.moduleOf(type);
    }

    @Override
    public ClassLoader loader(String module, String version) {
        return local.loader(module, version);
    }

    interface Body {
        void write(DataOutput out) throws IOException;
    }

    private void header(DataOutput out, byte type, long dstInc) throws IOException {
        out.writeByte(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(type);
        out.writeLong(incarnation);
        out.writeLong(dstInc);
    }

    byte[] frame(byte type, Peer to, Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            header(out, type, to == null ? 0 : to.incarnation);
            body.write(out);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a frame to memory", e);
        }
    }

    byte[] msgFrame(Peer to, long epoch, long seq, long target, byte[] value) {
        return frame(MSG, to, out -> {
            out.writeLong(epoch);
            out.writeLong(seq);
            out.writeLong(target);
            out.write(value);
        });
    }

    private byte[] encode(Object message) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            codec.write(new DataOutputStream(bytes), message);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a value to memory", e);
        }
    }

    /** An exit reason in the neutral form; one that has none (an exception) travels as its text. */
    private void writeReason(DataOutput out, Object reason) throws IOException {
        byte[] b;
        try {
            b = encode(reason);
        } catch (IncompatibleValueException e) {
            b = encode(String.valueOf(reason));
        }
        out.write(b);
    }

    /** Sends a frame to {@code p} after everything queued for it before (see {@link #enqueue}). */
    void send(Peer p, byte[] frame) {
        boolean flushHere;
        synchronized (p) {
            if (p.gone) {
                return; // its links and monitors have fired noconnection already
            }
            flushHere = enqueue(p, frame, false);
        }
        if (flushHere) {
            // not inline: signals and acknowledgements are mostly sent by JGroups' reader thread, which delivers
            // directly (ClusterConfig) and must keep reading: a flush may carry other senders' queued messages and
            // wait in flow control for credits that only that reader can bring in
            flushLater(p);
        }
    }

    /** Flushes {@code p} on a thread of its own; after close (the flusher shut down) the frames stay unsent. */
    private void flushLater(Peer p) {
        try {
            flusher.execute(() -> flush(p));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: the channel goes too, and nodeDown accounts for what was queued
        }
    }

    private void multicast(byte type, Body body) {
        try {
            Message m = new BytesMessage(null, frame(type, null, body));
            m.setFlag(Message.TransientFlag.DONT_LOOPBACK); // applied here already
            channel.send(m);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": multicast of frame type " + type + " failed: " + e);
        }
    }

    private void refused(Address src, byte type, String why) {
        refused.incrementAndGet();
        warnLimited("node " + name + ": refused frame type " + type + " from " + src + ": " + why);
    }

    private void malformed(Address src, String why) {
        malformed.incrementAndGet();
        warnLimited("node " + name + ": malformed frame from " + src + " dropped: " + why);
    }

    private final AtomicLong warnedAt = new AtomicLong(), unwarned = new AtomicLong();

    /**
     * Logs at most one refused or dropped frame a second, with how many were not logged since: after a partition
     * heals, JGroups retransmits everything in flight when it began (tens of thousands of frames under load), each
     * refused here; a line for each would flood the log and slow the node down while it merges. The counts in
     * {@link #stats()} stay exact.
     */
    private void warnLimited(String line) {
        long now = System.nanoTime();
        long last = warnedAt.get();
        if ((last == 0 || now - last >= 1_000_000_000L) && warnedAt.compareAndSet(last, now == 0 ? 1 : now)) {
            long more = unwarned.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, line + (more == 0 ? "" : " (and " + more + " more refused or dropped"
                    + " frame(s) not logged in the last second: hotcode:nodes counts them all)"));
        } else {
            unwarned.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ for the console and tests

    public Stats stats() {
        return new Stats(sent.get(), delivered.get(), duplicates.get(), inDoubt.get(), refused.get(), malformed.get());
    }

    public List<String> recentInDoubt() {
        return new ArrayList<>(recentInDoubt);
    }

    /** This node and every member that said hello, by index (this node is 0). */
    public List<Member> members() {
        List<Member> out = new ArrayList<>();
        out.add(new Member(0, name, incarnation, String.valueOf(channel.getAddress()), true, local.moduleVersions()));
        List<Peer> ps = new ArrayList<>(peers.values());
        ps.sort((a, b) -> Integer.compare(a.index, b.index));
        for (Peer p : ps) {
            out.add(new Member(p.index, p.name, p.incarnation, String.valueOf(p.address), false,
                    new LinkedHashMap<>(p.modules)));
        }
        return out;
    }

    public ClusterConfig config() {
        return config;
    }

    JChannel channel() {
        return channel;
    }

    DISCARD discard() {
        return discard;
    }

    Peer peer(String node) {
        return byName.get(node);
    }

    /** Leaves the cluster: the other nodes see this one go; links and monitors to them fire noconnection here. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        local.detach(this);
        closeQuietly();
        for (Peer p : new ArrayList<>(peers.values())) {
            nodeDown(p, "this node left the cluster");
        }
    }

    private void closeQuietly() {
        acks.shutdownNow();
        flusher.shutdown();
        try {
            withBundleLoader(() -> {
                channel.close();
                return null;
            });
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": closing the channel: " + e);
        }
        if (net != null) {
            local.send(net, Tuple.of(STOP));
        }
    }
}
