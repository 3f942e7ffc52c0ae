package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
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
import java.io.DataInputStream;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One node of a Hotcode cluster on a JGroups channel: the {@link NodeTransport} the runtime hands remote pids to, and
 * the JGroups {@link Receiver} that checks every frame's header and hands it to the class keeping its protocol:
 * <ul>
 * <li>{@link Membership}: who is in the cluster (views, hellos, the modules each node runs);
 * <li>{@link Sessions}: messages between two nodes, at most once, in order, and the delivery accounting (every
 *     message sent is delivered, a dead letter with its reason, or in doubt); the pair's queue every frame goes
 *     through;
 * <li>{@link Links}: links, monitors and {@code monitor_node} across nodes, and the net process;
 * <li>{@link GlobalNames}: Erlang's {@code global};
 * <li>{@link CoordinatedLoad}: {@code hotcode:cluster load}, a two-phase commit over every node;
 * <li>{@link ConsoleCalls}: the console's requests to another node ({@code rpc:call});
 * <li>{@link PidsAndRefs} and {@link Frames}: pids, refs and frames on the wire.
 * </ul>
 * A node that goes is handled here, in {@link #nodeDown}, one step per protocol.
 *
 * <p><b>Dead letters.</b> Everything sent was delivered, is in doubt, or is a dead letter with its reason at one of
 * the two ends: {@code noconnection} (the pid's node or incarnation is not in the cluster), {@code noproc} (no such
 * process at the receiver), {@code incompatible} (a value the sender cannot write in the neutral form, or the
 * receiver cannot read).
 */
public final class ClusterNode implements NodeTransport, Receiver, AutoCloseable {
    static final System.Logger LOG = System.getLogger("hotcode.cluster");
    static final Atom NOCONNECTION = Atom.of("noconnection");
    static final Atom INCOMPATIBLE = Atom.of("incompatible");
    static final Atom NODEDOWN = Atom.of("nodedown");
    static final Atom PROCESS = Atom.of("process");
    static final Atom CONFLICT = Atom.of("global_name_conflict");
    private static final SecureRandom RANDOM = new SecureRandom();

    final LocalNode local;
    private final ClusterConfig config;
    final String name;
    final long incarnation;
    private final DISCARD discard;
    final JChannel channel;
    private final ScheduledExecutorService acks;
    /** Takes over flushing from a sender that has flushed for others long enough (virtual threads: cheap, many). */
    final ExecutorService flusher = Executors.newVirtualThreadPerTaskExecutor();
    private boolean closed; // guarded by this

    // the protocols, each in its class (see the class comment); built in this order, each may use the ones before
    final PidsAndRefs refs;
    final Frames frames;
    final Membership membership;
    final Sessions sessions;
    final Links links;
    final GlobalNames globals;
    final CoordinatedLoad load;
    final ConsoleCalls calls;

    /** Counters of the delivery accounting (see {@link Sessions}). */
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
        this.refs = new PidsAndRefs(local, name, incarnation);
        this.frames = new Frames(incarnation, new Codec(refs));
        this.membership = new Membership(this);
        this.sessions = new Sessions(local, name, incarnation, frames, channel, flusher, membership);
        this.links = new Links(this);
        this.globals = new GlobalNames(this);
        this.load = new CoordinatedLoad(this);
        this.calls = new ConsoleCalls(this);
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
            n.links.start();
            n.channel.receiver(n);
            n.withBundleLoader(() -> n.channel.connect(config.cluster()));
            n.acks.scheduleWithFixedDelay(n.sessions::flushAcks, Sessions.ACK_MILLIS, Sessions.ACK_MILLIS,
                    TimeUnit.MILLISECONDS);
            n.acks.scheduleWithFixedDelay(n.membership::announceModules, 2, 2, TimeUnit.SECONDS);
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
        return membership.names();
    }

    @Override
    public void send(RemotePid to, Object message) {
        if (isSelf(to)) { // a pid of this node that had exited when it came back from another node
            local.send(to.id(), message);
            return;
        }
        Pid from = local.self(); // the sender travels with the message: dead letters at either end name it
        if (to.node().equals(name)) { // a previous incarnation of this node: that process is gone for good
            local.deadLetter(to, message, Hotcode.NOPROC, from);
            return;
        }
        Peer p = membership.peer(to.node());
        if (p == null || p.incarnation != to.incarnation()) {
            local.deadLetter(to, message, NOCONNECTION, from);
            return;
        }
        try {
            sessions.send(p, to, from, message);
        } catch (IncompatibleValueException e) {
            LOG.log(System.Logger.Level.WARNING, "message to " + to + " on node " + to.node() + " not sent: " + e.getMessage());
            local.deadLetter(to, message, INCOMPATIBLE, from);
        }
    }

    @Override
    public void exit(Pid from, RemotePid to, Object reason) {
        links.exit(from, to, reason);
    }

    @Override
    public void link(Pid self, RemotePid other) {
        links.link(self, other);
    }

    @Override
    public void unlink(Pid self, RemotePid other) {
        links.unlink(self, other);
    }

    @Override
    public Ref monitor(Pid self, RemotePid target) {
        return links.monitor(self, target);
    }

    @Override
    public boolean demonitor(Pid self, Ref ref) {
        return links.demonitor(self, ref);
    }

    @Override
    public void monitorNode(Pid self, String node, boolean on) {
        links.monitorNode(self, node, on);
    }

    @Override
    public boolean registerGlobal(String gname, Pid pid) {
        return globals.registerGlobal(gname, pid);
    }

    @Override
    public void unregisterGlobal(String gname) {
        globals.unregisterGlobal(gname);
    }

    @Override
    public Pid whereisGlobal(String gname) {
        return globals.whereisGlobal(gname);
    }

    @Override
    public RemotePid pid(int index, long id) {
        return refs.pid(index, id);
    }

    @Override
    public boolean connected(RemotePid pid) {
        return membership.peerOf(pid) != null;
    }

    /** See {@link ConsoleCalls#call}. */
    @Override
    public Object call(String node, String request, List<Object> args, long timeoutMillis) {
        return calls.call(node, request, args, timeoutMillis);
    }

    /** See {@link CoordinatedLoad#clusterLoad(String)}. */
    public String clusterLoad(String url) throws InterruptedException {
        return load.clusterLoad(url);
    }

    /** See {@link CoordinatedLoad#clusterLoad(String, String)}. */
    public String clusterLoad(String module, String url) throws InterruptedException {
        return load.clusterLoad(module, url);
    }

    // ------------------------------------------------------------------ JGroups: views and frames

    @Override
    public void viewAccepted(View view) {
        membership.viewAccepted(view);
    }

    @Override
    public void receive(Message msg) {
        handle(msg.getSrc(), msg.getArray(), msg.getOffset(), msg.getLength(), msg.getDest() == null, 0);
    }

    /** Checks a frame's header (and each frame of a batch) and hands its body to the class keeping its protocol. */
    private void handle(Address src, byte[] bytes, int offset, int length, boolean multicast, int depth) {
        byte type = -1;
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, offset, length));
            if (length < Frames.HEADER || in.readByte() != Frames.MAGIC || in.readByte() != Frames.VERSION) {
                sessions.malformed(src, "not a Hotcode frame of version " + Frames.VERSION);
                return;
            }
            type = in.readByte();
            long srcInc = in.readLong();
            long dstInc = in.readLong();
            if (type == Frames.HELLO) {
                membership.hello(src, in);
                return;
            }
            if (type == Frames.BATCH) { // frames one after the other, each checked on its own (the first may be a hello)
                if (depth > 0) {
                    sessions.malformed(src, "a batch inside a batch");
                    return;
                }
                int n = in.readInt();
                int at = offset + Frames.HEADER + 4;
                for (int i = 0; i < n; i++) {
                    int len = in.readInt();
                    if (len < 0 || at + 4 + len > offset + length) {
                        sessions.malformed(src, "batch entry " + i + " of length " + len + " beyond the frame");
                        return;
                    }
                    handle(src, bytes, at + 4, len, false, depth + 1);
                    in.skipBytes(len);
                    at += 4 + len;
                }
                return;
            }
            Peer p = membership.peer(src);
            if (p == null || p.incarnation != srcInc) {
                sessions.refused(src, type, "from an unknown incarnation " + srcInc + " of member " + src
                        + (p == null ? " (no hello from it)" : " (it is incarnation " + p.incarnation + ")"));
                return;
            }
            if (dstInc != incarnation && !(dstInc == 0 && multicast)) { // 0: a multicast, to every member
                sessions.refused(src, type, "addressed to incarnation " + dstInc + " of node " + name + ", which is "
                        + incarnation);
                return;
            }
            switch (type) {
                case Frames.MSG -> sessions.onMessage(p, in, bytes, offset, offset + length);
                case Frames.ACK -> sessions.onAck(p, in.readLong(), in.readLong());
                case Frames.EXIT -> links.onExit(p, in);
                case Frames.LINK -> links.onLink(p, in);
                case Frames.UNLINK -> links.onUnlink(in);
                case Frames.MON -> links.onMonitor(p, in);
                case Frames.DEMON -> links.unwatchMonitor(p, in.readLong());
                case Frames.DOWN -> links.onDown(in);
                case Frames.GREG -> globals.onRegister(p, in);
                case Frames.GREG_REPLY -> globals.onRegisterReply(in);
                case Frames.CLOAD -> {
                    long id = in.readLong();
                    String url = in.readUTF();
                    load.startLocalInstall(id, null, url, p);
                }
                case Frames.CLOAD_MODULE -> {
                    long id = in.readLong();
                    String module = in.readUTF();
                    String url = in.readUTF();
                    load.startLocalInstall(id, module, url, p);
                }
                case Frames.VOTE -> load.recordVote(in.readLong(), p.name, in.readBoolean() ? null : in.readUTF());
                case Frames.VERDICT -> {
                    long id = in.readLong();
                    String reason = in.readBoolean() ? null : in.readUTF();
                    load.onVerdict(id, reason);
                }
                case Frames.DONE -> load.recordDone(in.readLong(), p.name, in.readBoolean(), in.readUTF());
                case Frames.CALL -> calls.onCall(p, in);
                case Frames.REPLY -> calls.onReply(p, in);
                case Frames.GADD -> globals.onAdd(in);
                case Frames.GDEL -> globals.onDelete(in);
                case Frames.GSYNC -> globals.onSync(in);
                default -> sessions.malformed(src, "unknown frame type " + type);
            }
        } catch (IOException | RuntimeException e) {
            sessions.malformed(src, "frame type " + type + ": " + e);
        }
    }

    /** Sends a frame to every member but this node (the frame is applied here already). */
    void multicast(byte type, Frames.Body body) {
        byte[] bytes = encodeMulticast(type, body);
        if (bytes != null) {
            sendMulticast(type, bytes);
        }
    }

    /**
     * {@link #multicast}, encoded now and sent on the flusher: for a frame a reader-thread handler sends, since a send
     * may wait for flow-control credits that only the reader thread takes in.
     */
    void multicastLater(byte type, Frames.Body body) {
        byte[] bytes = encodeMulticast(type, body);
        if (bytes == null) {
            return;
        }
        try {
            flusher.execute(() -> sendMulticast(type, bytes));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": multicast of frame type " + type
                    + " not sent: the node is closing");
        }
    }

    private byte[] encodeMulticast(byte type, Frames.Body body) {
        try {
            return frames.frame(type, null, body);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": multicast of frame type " + type + " failed: " + e);
            return null;
        }
    }

    private void sendMulticast(byte type, byte[] bytes) {
        try {
            Message m = new BytesMessage(null, bytes);
            m.setFlag(Message.TransientFlag.DONT_LOOPBACK); // applied here already
            channel.send(m);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "node " + name + ": multicast of frame type " + type + " failed: " + e);
        }
    }

    // ------------------------------------------------------------------ a node goes

    /**
     * Member {@code p} left the view (or this node left the cluster): each protocol lets go of it, in this order:
     * the sessions end (dead letters {@code noconnection} for what was never sent, the rest in doubt), it stops being
     * a member, links and monitors to it fire {@code noconnection}, calls to it fail, a coordinated load it was part
     * of aborts, {@code monitor_node} watchers hear {@code nodedown}, its global names and refs go.
     */
    void nodeDown(Peer p, String why) {
        int doubt = sessions.nodeDown(p);
        membership.remove(p);
        sessions.endReceiving(p);
        LOG.log(System.Logger.Level.WARNING, "node " + name + ": node " + p.name + " (incarnation " + p.incarnation
                + ") is down: " + why + (doubt == 0 ? "" : "; " + doubt + " message(s) to it in doubt"));
        links.nodeDown(p);
        calls.nodeDown(p, why);
        load.nodeDown(p, why);
        links.nodeWatchesDown(p);
        globals.nodeDown(p);
        refs.nodeDown(p);
    }

    boolean isSelf(RemotePid pid) {
        return pid.incarnation() == incarnation && pid.node().equals(name);
    }

    // ------------------------------------------------------------------ for the console and tests

    public Stats stats() {
        Sessions s = sessions;
        return new Stats(s.sent.get(), s.delivered.get(), s.duplicates.get(), s.inDoubt.get(), s.refused.get(),
                s.malformed.get());
    }

    public List<String> recentInDoubt() {
        return new ArrayList<>(sessions.recentInDoubt);
    }

    /** This node and every member that said hello, by index (this node is 0). */
    public List<Member> members() {
        return membership.members();
    }

    /**
     * What the observer's Nodes view shows: the interface's list (every numbered node and whether it is connected)
     * with what this node knows beyond it: addresses, incarnations (this node's too) and the versions each announced.
     */
    @Override
    public List<NodeInfo> nodeInfo() {
        Map<Integer, Member> byIndex = new java.util.HashMap<>();
        for (Member m : members()) {
            byIndex.put(m.index(), m);
        }
        List<NodeInfo> out = new ArrayList<>();
        for (NodeInfo n : NodeTransport.super.nodeInfo()) {
            Member m = byIndex.get(n.index());
            out.add(m == null ? n : new NodeInfo(n.index(), m.node(), m.incarnation(), m.address(), m.self(),
                    n.connected(), m.modules()));
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
        return membership.peer(node);
    }

    /** Tests: an encoded message to {@code to} on {@code p}, as {@link #send} sends it. */
    void sendValue(Peer p, RemotePid to, Object message, byte[] value) {
        sessions.sendValue(p, to, null, message, value);
    }

    /** Tests: a frame to {@code p} in the pair's queue. */
    void send(Peer p, byte[] frame) {
        sessions.send(p, frame);
    }

    /** Tests: a message frame of any session and number. */
    byte[] msgFrame(Peer to, long epoch, long seq, long target, byte[] value) {
        return frames.msgFrame(to, epoch, seq, target, 0, value);
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
        for (Peer p : new ArrayList<>(membership.peers())) {
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
        links.stop();
    }
}
