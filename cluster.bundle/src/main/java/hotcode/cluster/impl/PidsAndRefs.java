package hotcode.cluster.impl;

import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pids and refs across nodes, the {@link Codec.Terms} of this node: a pid travels as node, incarnation and number
 * and comes back as this node's own process or a {@link RemotePid} with the node's index (the {@code N} of
 * {@code <N.id.0>}); a ref made on one node stands for the same local {@link Ref} every time it arrives, so that a
 * reply matches its request.
 */
final class PidsAndRefs implements Codec.Terms {
    private final LocalNode local;
    private final String name;
    private final long incarnation;

    /** The {@code N} of {@code <N.id.0>}: one per node name and incarnation, given when first seen. */
    private final Map<String, Integer> indices = new ConcurrentHashMap<>();
    private final AtomicInteger nextIndex = new AtomicInteger();

    /**
     * A ref made on another node stands for the same local {@link Ref} every time it arrives, so a reply matches its
     * request. These maps grow with the refs that arrive (cleared when their node goes: see {@link #nodeDown}).
     */
    private final Map<Ref, ForeignRef> foreignRefKeys = new ConcurrentHashMap<>();
    private final Map<ForeignRef, Ref> foreignRefs = new ConcurrentHashMap<>();

    record ForeignRef(String node, long incarnation, long key) {
    }

    private final Map<Ref, Long> localRefKeys = Collections.synchronizedMap(new WeakHashMap<>());
    private final Map<Long, WeakReference<Ref>> localRefs = new ConcurrentHashMap<>();
    private final AtomicLong nextRefKey = new AtomicLong();

    PidsAndRefs(LocalNode local, String name, long incarnation) {
        this.local = local;
        this.name = name;
        this.incarnation = incarnation;
    }

    int indexOf(String node, long inc) {
        return indices.computeIfAbsent(node + "#" + inc, k -> nextIndex.incrementAndGet());
    }

    /** The remote pid printed {@code <index.id.0>}, or null for an index this node has not given. */
    RemotePid pid(int index, long id) {
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

    /** Forgets the refs of {@code p}'s incarnation: no frame of it will bring them again. */
    void nodeDown(Peer p) {
        foreignRefs.keySet().removeIf(k -> k.node().equals(p.name) && k.incarnation() == p.incarnation);
        foreignRefKeys.values().removeIf(k -> k.node().equals(p.name) && k.incarnation() == p.incarnation);
    }
}
