package hotcode.cluster.impl;

import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.View;

import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static hotcode.cluster.impl.ClusterNode.LOG;

/**
 * Who is in the cluster: the hello protocol. JGroups' view says which addresses are members; a member becomes a
 * {@link Peer} of this node when it has said hello (its node name, its incarnation, its modules' versions), and
 * frames from a member that has not are refused. A member that leaves the view goes ({@link ClusterNode#nodeDown});
 * a node says hello again when its modules change, so that {@code hotcode:nodes} shows every node's versions.
 */
final class Membership {
    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final JChannel channel;

    /** Members that said hello, by address and by node name. */
    private final Map<Address, Peer> peers = new ConcurrentHashMap<>();
    private final Map<String, Peer> byName = new ConcurrentHashMap<>();

    record Hello(String name, long incarnation, Map<String, String> modules) {
    }

    private final Map<Address, Hello> earlyHellos = new LinkedHashMap<>();
    private volatile Map<String, String> announced = Map.of();

    Membership(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.incarnation = node.incarnation;
        this.channel = node.channel;
    }

    Collection<Peer> peers() {
        return peers.values();
    }

    Peer peer(Address a) {
        return peers.get(a);
    }

    Peer peer(String nodeName) {
        return byName.get(nodeName);
    }

    boolean isEmpty() {
        return peers.isEmpty();
    }

    /** The names of the members that said hello, sorted. */
    List<String> names() {
        return new ArrayList<>(new TreeMap<>(byName).keySet());
    }

    java.util.Set<String> nameSet() {
        return byName.keySet();
    }

    /** The connected member {@code pid} lives on, or null (not connected, or another incarnation). */
    Peer peerOf(RemotePid pid) {
        Peer p = byName.get(pid.node());
        return p != null && p.incarnation == pid.incarnation() ? p : null;
    }

    void remove(Peer p) {
        peers.remove(p.address, p);
        byName.remove(p.name, p);
    }

    void viewAccepted(View view) {
        List<Address> members = view.getMembers();
        for (Peer p : new ArrayList<>(peers.values())) {
            if (!members.contains(p.address)) {
                node.nodeDown(p, "left the view " + view.getViewId());
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

    /**
     * Says hello again to every member when this node's modules changed (a load, an update, a purge), so that
     * {@code hotcode:nodes} on every node shows the versions each node runs, within a few seconds.
     */
    void announceModules() {
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
        return node.frames.frame(Frames.HELLO, null, out -> {
            out.writeUTF(name);
            out.writeLong(incarnation);
            out.writeInt(mods.size());
            for (Map.Entry<String, String> e : mods.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        });
    }

    void hello(Address src, DataInput in) throws IOException {
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
                    node.sessions.refused(src, Frames.HELLO, "hello from " + peerName + " at " + src
                            + ", which is not in the view " + v);
                }
                return;
            }
        }
        accept(src, new Hello(peerName, inc, mods));
    }

    private void accept(Address src, Hello h) {
        String peerName = h.name();
        long inc = h.incarnation();
        Map<String, String> mods = h.modules();
        if (peerName.equals(name)) {
            node.sessions.refused(src, Frames.HELLO, "node name " + peerName
                    + " is this node's own: names must be unique in the cluster");
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
            node.sessions.refused(src, Frames.HELLO, "node name " + peerName + " is taken by member " + other.address);
            return;
        }
        Peer p = new Peer(src, peerName, inc, node.refs.indexOf(peerName, inc), mods);
        synchronized (p) {
            // it may have missed our hello (it said hello first): queued first, before anything another thread
            // sends it once the peer is published, since it refuses frames from a node that has not said hello
            node.sessions.queueFirst(p, helloFrame());
        }
        peers.put(src, p);
        byName.put(peerName, p);
        node.sessions.flushLater(p); // not on the reader thread: see Sessions.send(Peer, byte[])
        LOG.log(System.Logger.Level.INFO, "node " + name + ": node " + peerName + " (incarnation " + inc + ", "
                + src + ") is up, modules " + mods);
        compareVersions(peerName, mods);
        node.globals.nodeUp(p);
    }

    /** This node and every member that said hello, by index (this node is 0). */
    List<ClusterNode.Member> members() {
        List<ClusterNode.Member> out = new ArrayList<>();
        out.add(new ClusterNode.Member(0, name, incarnation, String.valueOf(channel.getAddress()), true,
                local.moduleVersions()));
        List<Peer> ps = new ArrayList<>(peers.values());
        ps.sort((a, b) -> Integer.compare(a.index, b.index));
        for (Peer p : ps) {
            out.add(new ClusterNode.Member(p.index, p.name, p.incarnation, String.valueOf(p.address), false,
                    new LinkedHashMap<>(p.modules)));
        }
        return out;
    }
}
