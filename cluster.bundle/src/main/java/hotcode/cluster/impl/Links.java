package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;

import java.io.DataInput;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static hotcode.cluster.impl.ClusterNode.LOG;
import static hotcode.cluster.impl.ClusterNode.NOCONNECTION;
import static hotcode.cluster.impl.ClusterNode.NODEDOWN;
import static hotcode.cluster.impl.ClusterNode.PROCESS;

/**
 * Links, monitors and {@code monitor_node} across nodes. They are kept here, not in the processes: a small process
 * of this node (the net process) monitors every local process that a remote one links or monitors, and turns its exit
 * into the signal the remote node delivers ({@code EXIT} for a link, {@code DOWN} for a monitor). A node leaving the
 * view fires {@code noconnection} for every link and monitor to it and {@code {nodedown, Node}} for every
 * {@code monitorNode} ({@link #nodeDown}). The signals travel in the pair's queue ({@link Sessions#send}), after the
 * messages sent before them.
 */
final class Links {
    private static final Atom WATCH = Atom.of("$cluster_watch");
    private static final Atom STOP = Atom.of("$cluster_stop");

    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final Frames frames;
    private final PidsAndRefs refs;

    record Link(Pid local, RemotePid remote) {
    }

    record OutMonitor(Ref ref, Pid watcher, RemotePid target) {
    }

    record InMonitor(Peer peer, long id, Pid target) {
    }

    record NodeWatch(Pid watcher, String node) {
    }

    private Pid net;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final Map<Long, OutMonitor> outMonitors = new ConcurrentHashMap<>();
    private final Map<Ref, Long> monitorIds = new ConcurrentHashMap<>();
    private final AtomicLong nextMonitor = new AtomicLong();
    private final Map<String, InMonitor> inMonitors = new ConcurrentHashMap<>();
    private final Set<Long> watched = ConcurrentHashMap.newKeySet();
    private final List<NodeWatch> nodeWatches = new CopyOnWriteArrayList<>();

    Links(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.incarnation = node.incarnation;
        this.frames = node.frames;
        this.refs = node.refs;
    }

    /** How many links to remote processes this node keeps (tests). */
    int linkCount() {
        return links.size();
    }

    // ------------------------------------------------------------------ the calls of local processes

    void exit(Pid from, RemotePid to, Object reason) {
        Peer p = node.membership.peerOf(to);
        if (p != null) {
            node.sessions.send(p, frames.frame(Frames.EXIT, p, out -> {
                refs.writePid(out, from == null ? new RemotePid(name, incarnation, 0, 0) : from);
                out.writeLong(to.id());
                frames.writeReason(out, reason);
                out.writeBoolean(false);
            }));
        } else if (node.isSelf(to)) {
            // an exited local process: nothing to signal
        } // else: not connected, the signal is lost as with Erlang's exit/2 to a node that is not connected
    }

    void link(Pid self, RemotePid other) {
        Peer p = node.membership.peerOf(other);
        if (p == null) {
            local.exitSignal(self, other, node.isSelf(other) ? Hotcode.NOPROC : NOCONNECTION, true);
            return;
        }
        if (links.add(new Link(self, other))) {
            watch(self);
            node.sessions.send(p, frames.frame(Frames.LINK, p, out -> {
                refs.writePid(out, self);
                out.writeLong(other.id());
            }));
        }
    }

    void unlink(Pid self, RemotePid other) {
        if (links.remove(new Link(self, other))) {
            Peer p = node.membership.peerOf(other);
            if (p != null) {
                node.sessions.send(p, frames.frame(Frames.UNLINK, p, out -> {
                    refs.writePid(out, self);
                    out.writeLong(other.id());
                }));
            }
        }
    }

    Ref monitor(Pid self, RemotePid target) {
        Ref ref = Ref.make();
        Peer p = node.membership.peerOf(target);
        if (p == null) {
            local.send(self, Tuple.of(Hotcode.DOWN, ref, PROCESS, target,
                    node.isSelf(target) ? Hotcode.NOPROC : NOCONNECTION));
            return ref;
        }
        long id = nextMonitor.incrementAndGet();
        outMonitors.put(id, new OutMonitor(ref, self, target));
        monitorIds.put(ref, id);
        watch(self); // its monitors go when it exits
        node.sessions.send(p, frames.frame(Frames.MON, p, out -> {
            out.writeLong(id);
            out.writeLong(target.id());
        }));
        return ref;
    }

    boolean demonitor(Pid self, Ref ref) {
        Long id = monitorIds.remove(ref);
        if (id == null) {
            return false;
        }
        OutMonitor m = outMonitors.remove(id);
        Peer p = m == null ? null : node.membership.peerOf(m.target());
        if (p != null) {
            node.sessions.send(p, frames.frame(Frames.DEMON, p, out -> out.writeLong(id)));
        }
        return true;
    }

    void monitorNode(Pid self, String nodeName, boolean on) {
        if (on) {
            if (node.membership.peer(nodeName) != null) {
                nodeWatches.add(new NodeWatch(self, nodeName));
                watch(self);
            } else {
                local.send(self, Tuple.of(NODEDOWN, nodeName));
            }
        } else {
            nodeWatches.remove(new NodeWatch(self, nodeName));
        }
    }

    // ------------------------------------------------------------------ frames from other nodes

    void onExit(Peer p, DataInput in) throws IOException {
        Pid from = refs.readPid(in);
        long target = in.readLong();
        Object reason = frames.codec.read(in);
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

    void onLink(Peer p, DataInput in) throws IOException {
        Pid from = refs.readPid(in);
        long target = in.readLong();
        Pid to = local.pid(target);
        if (!(from instanceof RemotePid r)) {
            return;
        }
        if (to == null) { // linking a dead process: an exit signal noproc back, as locally
            links.remove(new Link(from, r));
            node.sessions.send(p, frames.frame(Frames.EXIT, p, out -> {
                refs.writePid(out, new RemotePid(name, incarnation, target, 0));
                out.writeLong(r.id());
                frames.writeReason(out, Hotcode.NOPROC);
                out.writeBoolean(true);
            }));
            return;
        }
        links.add(new Link(to, r));
        watch(to);
    }

    void onUnlink(DataInput in) throws IOException {
        Pid from = refs.readPid(in);
        Pid to = local.pid(in.readLong());
        if (to != null && from instanceof RemotePid r) {
            links.remove(new Link(to, r));
        }
    }

    void onMonitor(Peer p, DataInput in) throws IOException {
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

    void unwatchMonitor(Peer p, long id) {
        inMonitors.remove(p.key() + "/" + id);
    }

    void onDown(DataInput in) throws IOException {
        long id = in.readLong();
        refs.readPid(in);
        Object reason = frames.codec.read(in);
        OutMonitor m = outMonitors.remove(id);
        if (m != null) {
            monitorIds.remove(m.ref());
            local.send(m.watcher(), Tuple.of(Hotcode.DOWN, m.ref(), PROCESS, m.target(), reason));
        }
    }

    private void sendDown(Peer p, long id, Pid target, Object reason) {
        node.sessions.send(p, frames.frame(Frames.DOWN, p, out -> {
            out.writeLong(id);
            refs.writePid(out, target);
            frames.writeReason(out, reason);
        }));
    }

    // ------------------------------------------------------------------ local exits (the net process)

    /** Starts the net process. */
    void start() {
        net = local.spawn(netLoop());
    }

    /** Stops the net process. */
    void stop() {
        if (net != null) {
            local.send(net, Tuple.of(STOP));
        }
    }

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
    void watch(Pid pid) {
        if (!(pid instanceof RemotePid) && watched.add(pid.id())) {
            local.send(net, Tuple.of(WATCH, pid));
        }
    }

    private void localExit(Pid pid, Object reason) {
        watched.remove(pid.id());
        for (Link l : links) {
            if (l.local().equals(pid) && links.remove(l)) {
                Peer p = node.membership.peerOf(l.remote());
                if (p != null) {
                    node.sessions.send(p, frames.frame(Frames.EXIT, p, out -> {
                        refs.writePid(out, pid);
                        out.writeLong(l.remote().id());
                        frames.writeReason(out, reason);
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
        node.globals.localExit(pid);
        nodeWatches.removeIf(w -> w.watcher().equals(pid));
        for (Map.Entry<Long, OutMonitor> e : outMonitors.entrySet()) {
            if (e.getValue().watcher().equals(pid)) {
                demonitor(pid, e.getValue().ref());
            }
        }
    }

    // ------------------------------------------------------------------ a node goes

    /** Links and monitors to processes of {@code p} fire {@code noconnection}; its monitor_node watchers hear nodedown. */
    void nodeDown(Peer p) {
        for (Link l : links) {
            if (p.hosts(l.remote()) && links.remove(l)) {
                local.exitSignal(l.local(), l.remote(), NOCONNECTION, true);
            }
        }
        for (Map.Entry<Long, OutMonitor> e : outMonitors.entrySet()) {
            OutMonitor m = e.getValue();
            if (p.hosts(m.target()) && outMonitors.remove(e.getKey(), m)) {
                monitorIds.remove(m.ref());
                local.send(m.watcher(), Tuple.of(Hotcode.DOWN, m.ref(), PROCESS, m.target(), NOCONNECTION));
            }
        }
        inMonitors.values().removeIf(m -> m.peer() == p);
    }

    /** {@code {nodedown, Node}} to every process that monitors {@code p}'s node. */
    void nodeWatchesDown(Peer p) {
        for (NodeWatch w : nodeWatches) {
            if (w.node().equals(p.name) && nodeWatches.remove(w)) {
                local.send(w.watcher(), Tuple.of(NODEDOWN, p.name));
            }
        }
    }
}
