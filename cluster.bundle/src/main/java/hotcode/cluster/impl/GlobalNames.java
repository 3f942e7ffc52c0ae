package hotcode.cluster.impl;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;
import org.jgroups.View;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static hotcode.cluster.impl.ClusterNode.CONFLICT;
import static hotcode.cluster.impl.ClusterNode.LOG;

/**
 * Global names, as Erlang's {@code global}: every node keeps the whole table; the view's coordinator decides a
 * registration (first come, first served) and announces the winner to every member; a name goes when its process
 * exits ({@link #localExit}) or its node goes ({@link #nodeDown}). A node that joins is told the names of every
 * member's processes ({@link #nodeUp}); two holders of one name after a partition healed are settled by one rule that
 * every node applies alike ({@link #applyGlobal}).
 *
 * <h2>Implementation overview</h2>
 *
 * <p>Every registration has an id, unique in the cluster ({@link RegistrationId}: the deciding coordinator's
 * incarnation and its count), carried by every frame that adds or deletes it. The frames that add a registration
 * (the coordinator's announcement GADD, its answer to the asker GREG_REPLY, a member's names for a newcomer GSYNC) and
 * the one that deletes it (GDEL, from the node that unregisters it) come from different nodes, and JGroups orders
 * messages per sender only: a node may get the deletion first, or an old registration's deletion after the same
 * process's new one. So a deletion deletes only its own registration, and is remembered for a while
 * ({@link #deleted}), so that its registration, coming late, is not taken; a process holds a name while one of the
 * registrations a node has taken for it is not deleted. And a registration that comes after its process's node left
 * the cluster ({@link #departed}) is not taken either: nothing would ever delete it.
 */
final class GlobalNames {
    /**
     * How long a deletion is remembered ({@link #deleted}) and how many at most: a registration that comes later than
     * that after its deletion is taken (and stays until its process or node goes).
     */
    static final long DELETED_KEPT_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final int DELETED_MAX = 4096;
    /** How many nodes that left ({@link #departed}) are remembered, the oldest forgotten first. */
    static final int DEPARTED_MAX = 1024;

    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final Frames frames;
    private final PidsAndRefs refs;

    /** Name to holder; changed under its own lock (with {@link #deleted} and {@link #departed}), read without. */
    private final Map<String, Held> globals = new ConcurrentHashMap<>();
    /** Registrations deleted (or given up on this node), with the clock when; guarded by {@code globals}. */
    private final LinkedHashMap<RegistrationId, Long> deleted = new LinkedHashMap<>();
    /** Nodes that left the cluster, by name and incarnation, until they come back (a healed partition). */
    private final LinkedHashMap<String, Boolean> departed = new LinkedHashMap<>();
    private final Map<Long, CompletableFuture<RegistrationId>> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong();
    /** The count of the registrations this node decided as coordinator. */
    private long decided;

    /** A registration: the coordinator that decided it (its incarnation) and its count there. */
    record RegistrationId(long coordinator, long count) {
        void write(DataOutput out) throws IOException {
            out.writeLong(coordinator);
            out.writeLong(count);
        }

        static RegistrationId read(DataInput in) throws IOException {
            return new RegistrationId(in.readLong(), in.readLong());
        }
    }

    /**
     * A name's holder and the registrations that gave it the name, as far as this node knows: usually one; two
     * while the deletion of an earlier one by the same process is still on its way.
     */
    private record Held(Pid pid, List<RegistrationId> ids) {
        Held with(RegistrationId id) {
            if (ids.contains(id)) {
                return this;
            }
            List<RegistrationId> more = new ArrayList<>(ids);
            more.add(id);
            return new Held(pid, List.copyOf(more));
        }

        Held without(RegistrationId id) {
            List<RegistrationId> fewer = new ArrayList<>(ids);
            fewer.remove(id);
            return fewer.isEmpty() ? null : new Held(pid, List.copyOf(fewer));
        }
    }

    GlobalNames(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.incarnation = node.incarnation;
        this.frames = node.frames;
        this.refs = node.refs;
    }

    // ------------------------------------------------------------------ the API (ClusterNode's Global calls)

    boolean registerGlobal(String gname, Pid pid) {
        if (gname == null || pid == null) {
            throw new HotcodeException("Global.register: name and pid must not be null");
        }
        View v = node.channel.getView();
        Address coord = v == null ? null : v.getCoord();
        if (coord == null || coord.equals(node.channel.getAddress())) {
            return decideRegistration(gname, pid) != null;
        }
        Peer c = node.membership.peer(coord);
        if (c == null) {
            throw new HotcodeException("Global.register " + gname + ": the coordinator " + coord
                    + " has not said hello yet; try again");
        }
        long req = nextRequest.incrementAndGet();
        CompletableFuture<RegistrationId> answer = new CompletableFuture<>();
        registrations.put(req, answer);
        try {
            node.sessions.send(c, frames.frame(Frames.GREG, c, out -> {
                out.writeLong(req);
                out.writeUTF(gname);
                refs.writePid(out, pid);
            }));
            RegistrationId id = answer.get(5, TimeUnit.SECONDS);
            if (id != null) {
                applyGlobal(gname, pid, id); // the announcement may come later (another sender's frame)
            }
            return id != null;
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

    void unregisterGlobal(String gname) {
        unregister(gname, null);
    }

    /** Unregisters {@code gname}, if held by {@code pid} (null: whoever holds it). */
    private void unregister(String gname, Pid pid) {
        Held held;
        synchronized (globals) {
            held = globals.get(gname);
            if (held == null || pid != null && !held.pid.equals(pid)) {
                return;
            }
            globals.remove(gname);
            long now = System.nanoTime();
            for (RegistrationId id : held.ids) {
                remember(id, now); // its announcement may still be on its way here
            }
        }
        for (RegistrationId id : held.ids) {
            node.multicast(Frames.GDEL, out -> {
                out.writeUTF(gname);
                refs.writePid(out, held.pid);
                id.write(out);
            });
        }
    }

    Pid whereisGlobal(String gname) {
        Held h = globals.get(gname);
        return h == null ? null : h.pid;
    }

    // ------------------------------------------------------------------ the rules

    /**
     * The coordinator's decision: first come, first served; the winner is announced to every member. Returns the
     * registration, or null when another process holds the name (or the pid's node has left).
     */
    private synchronized RegistrationId decideRegistration(String gname, Pid pid) {
        Held holder = globals.get(gname);
        if (holder != null) {
            return holder.pid.equals(pid) ? holder.ids.get(holder.ids.size() - 1) : null;
        }
        if (pid instanceof RemotePid r && isDeparted(r)) {
            return null;
        }
        RegistrationId id = new RegistrationId(incarnation, ++decided);
        applyGlobal(gname, pid, id);
        node.multicast(Frames.GADD, out -> {
            out.writeUTF(gname);
            refs.writePid(out, pid);
            id.write(out);
        });
        return id;
    }

    /**
     * Takes registration {@code id} of {@code gname} to {@code pid} (the coordinator's decision, its answer or its
     * announcement, or a member's names after a view change), unless it was deleted already, its process's node has
     * left, or its process, of this node, has exited (a registration overtaken by that exit, which took the names).
     * Two different holders (after a partition healed): the pid whose node name sorts first, then the smaller
     * incarnation, keeps the name; a local loser is told {@code {global_name_conflict, Name, Winner}}. Every node
     * applies the same rule to the same pair, so all agree without a round of messages.
     */
    private void applyGlobal(String gname, Pid pid, RegistrationId id) {
        if (pid instanceof RemotePid r && node.isSelf(r)) {
            // A process of this node that has exited (readPid names one it no longer finds so). Not taken, and no one
            // would ever remove it here; the others are told again, in case it reached them late too.
            synchronized (globals) {
                remember(id, System.nanoTime());
            }
            node.multicast(Frames.GDEL, out -> {
                out.writeUTF(gname);
                refs.writePid(out, pid);
                id.write(out);
            });
            return;
        }
        Pid loser = null;
        Pid winner;
        synchronized (globals) {
            if (deleted.containsKey(id) || pid instanceof RemotePid r && isDeparted(r)) {
                return;
            }
            Held holder = globals.get(gname);
            if (holder == null) {
                globals.put(gname, new Held(pid, List.of(id)));
            } else if (holder.pid.equals(pid)) {
                globals.put(gname, holder.with(id));
            } else if (rank(pid, holder.pid) < 0) {
                globals.put(gname, new Held(pid, List.of(id)));
                loser = holder.pid;
            } else {
                loser = pid;
            }
            winner = globals.get(gname).pid;
        }
        if (!(pid instanceof RemotePid) && pid.equals(winner)) {
            node.links.watch(pid); // the name goes when its process does
        }
        if (loser != null && !(loser instanceof RemotePid)) {
            LOG.log(System.Logger.Level.WARNING, "global name " + gname + ": conflict after a partition healed;"
                    + " kept " + winner + ", removed " + loser + " (this node's)");
            local.send(loser, Tuple.of(CONFLICT, gname, winner));
        }
    }

    /** Deletes registration {@code id} of {@code gname}, and remembers it, in case it has not come yet. */
    private void delete(String gname, Pid pid, RegistrationId id) {
        synchronized (globals) {
            remember(id, System.nanoTime());
            Held holder = globals.get(gname);
            if (holder != null && holder.pid.equals(pid) && holder.ids.contains(id)) {
                Held rest = holder.without(id);
                if (rest == null) {
                    globals.remove(gname);
                } else {
                    globals.put(gname, rest);
                }
            }
        }
    }

    /** Remembers a deleted registration; forgets those kept too long, and the oldest beyond the limit. */
    private void remember(RegistrationId id, long now) {
        deleted.remove(id); // to the end, with its new time
        Iterator<Long> since = deleted.values().iterator();
        while (since.hasNext() && (now - since.next() >= DELETED_KEPT_NANOS || deleted.size() >= DELETED_MAX)) {
            since.remove();
        }
        deleted.put(id, now);
    }

    /**
     * Whether {@code r}'s node has left and not come back. Back is when it is a member again, which comes before
     * {@link #nodeUp}: the frames of a node that said hello may be read on another thread before that runs.
     */
    private boolean isDeparted(RemotePid r) {
        return departed.containsKey(r.node() + "/" + r.incarnation()) && node.membership.peerOf(r) == null;
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

    // ------------------------------------------------------------------ frames from other nodes

    /** GREG, on the coordinator: decides and answers (with the registration, if taken). */
    void onRegister(Peer p, DataInput in) throws IOException {
        long req = in.readLong();
        String gname = in.readUTF();
        Pid pid = refs.readPid(in);
        RegistrationId id = decideRegistration(gname, pid);
        node.sessions.send(p, frames.frame(Frames.GREG_REPLY, p, out -> {
            out.writeLong(req);
            out.writeBoolean(id != null);
            if (id != null) {
                id.write(out);
            }
        }));
    }

    /** GREG_REPLY: the coordinator's answer to {@link #registerGlobal}. */
    void onRegisterReply(DataInput in) throws IOException {
        CompletableFuture<RegistrationId> f = registrations.get(in.readLong());
        RegistrationId id = in.readBoolean() ? RegistrationId.read(in) : null;
        if (f != null) {
            f.complete(id);
        }
    }

    /** GADD. */
    void onAdd(DataInput in) throws IOException {
        applyGlobal(in.readUTF(), refs.readPid(in), RegistrationId.read(in));
    }

    /** GDEL. */
    void onDelete(DataInput in) throws IOException {
        delete(in.readUTF(), refs.readPid(in), RegistrationId.read(in));
    }

    /** GSYNC: the names of a member's processes, when it met this node. */
    void onSync(DataInput in) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            applyGlobal(in.readUTF(), refs.readPid(in), RegistrationId.read(in));
        }
    }

    // ------------------------------------------------------------------ nodes and processes come and go

    /**
     * Member {@code p} said hello: it is told what this node registered globally (after the hello: UNICAST3 keeps the
     * order), and its departure is forgotten (a healed partition brings back the same incarnation; being a member
     * again is what counts, {@link #isDeparted}: this only keeps the list short).
     */
    void nodeUp(Peer p) {
        synchronized (globals) {
            departed.remove(p.name + "/" + p.incarnation);
        }
        List<Map.Entry<String, Held>> mine = new ArrayList<>();
        int n = 0;
        for (Map.Entry<String, Held> e : globals.entrySet()) {
            if (!(e.getValue().pid instanceof RemotePid)) {
                mine.add(e);
                n += e.getValue().ids.size();
            }
        }
        if (!mine.isEmpty()) {
            int entries = n;
            node.sessions.send(p, frames.frame(Frames.GSYNC, p, out -> {
                out.writeInt(entries);
                for (Map.Entry<String, Held> e : mine) {
                    for (RegistrationId id : e.getValue().ids) {
                        out.writeUTF(e.getKey());
                        refs.writePid(out, e.getValue().pid);
                        id.write(out);
                    }
                }
            }));
        }
    }

    /** The names of local process {@code pid}, which exited, go everywhere. */
    void localExit(Pid pid) {
        for (Map.Entry<String, Held> e : globals.entrySet()) {
            if (e.getValue().pid.equals(pid)) {
                unregister(e.getKey(), pid); // not another holder's, should the name have moved meanwhile
            }
        }
    }

    /**
     * The names of {@code p}'s processes go (every node does the same: no frame), and a registration of one of them
     * that comes later is not taken.
     */
    void nodeDown(Peer p) {
        synchronized (globals) {
            departed.put(p.name + "/" + p.incarnation, Boolean.TRUE);
            Iterator<String> oldest = departed.keySet().iterator();
            while (departed.size() > DEPARTED_MAX && oldest.hasNext()) {
                oldest.next();
                oldest.remove();
            }
            globals.values().removeIf(h -> h.pid instanceof RemotePid r && p.hosts(r));
        }
    }
}
