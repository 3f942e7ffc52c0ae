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
import java.util.LinkedHashSet;
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
 * incarnation and its count), carried by every frame that adds or deletes it: the coordinator's announcement
 * (GADD), its answer to the asker (GREG_REPLY), a member's names for a node it meets (GSYNC) and the deletion (GDEL,
 * from the node that unregisters the name or whose process exited). These come from different nodes, and JGroups
 * orders messages per sender only, so a node may get them in any order. Three rules make the order not matter:
 * <ul>
 * <li>a deletion deletes its own registration only, and is remembered ({@link #deleted}) so that its registration,
 *     coming late, is not taken (nor brought back by a member's names);</li>
 * <li>a registration carries the registrations of its name that the coordinator had seen deleted or replaced when it
 *     decided ({@link Registration#ends}), and a member's names carry the deletions it remembers: whoever takes them
 *     deletes those first, so a new holder (a restarted server) is not mistaken for a conflict with the old one
 *     whose deletion is still on its way;</li>
 * <li>a registration of a process whose node has left is not taken, since nothing would delete it (and the node's
 *     own names come back with it, should it return: a partition healing).</li>
 * </ul>
 * Frames that a reader thread handles send their multicasts on the flusher ({@link ClusterNode#multicastLater}).
 * What is left is said in docs/DESIGN.md ("Global names").
 */
final class GlobalNames {
    /**
     * How long a deletion is remembered ({@link #deleted}) and how many at most: a registration that comes later than
     * that after its deletion is taken (and stays until its process or node goes).
     */
    static final long DELETED_KEPT_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final int DELETED_MAX = 4096;
    /** How many ended registrations of its name a registration carries at most: the latest ones. */
    static final int ENDS_MAX = 16;
    /** How many nodes that left ({@link #departed}) are remembered, the oldest forgotten first. */
    static final int DEPARTED_MAX = 1024;
    /** The longest name, in bytes of UTF-8 (Erlang's atoms: 255 characters). */
    static final int NAME_MAX_BYTES = 255;

    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final Frames frames;
    private final PidsAndRefs refs;

    /** Name to holder; changed under its own lock (with the maps below), read without. */
    private final Map<String, Held> globals = new ConcurrentHashMap<>();
    /** Registrations deleted or replaced, with their name and when; guarded by {@code globals}. */
    private final LinkedHashMap<RegistrationId, Ended> deleted = new LinkedHashMap<>();
    /** Nodes that left the cluster ({@code name/incarnation}); guarded by {@code globals}. */
    private final LinkedHashSet<String> departed = new LinkedHashSet<>();
    private final Map<Long, CompletableFuture<Registration>> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong();
    /** The count of the registrations this node decided as coordinator; guarded by {@code globals}. */
    private long lastCount;

    /** A registration's id: the coordinator that decided it (its incarnation) and its count there. */
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
     * Registration {@code id}: {@code name} to {@code pid}; {@code ends}: the earlier registrations of the name it
     * comes after (deleted or replaced where it was decided).
     */
    record Registration(String name, Pid pid, RegistrationId id, List<RegistrationId> ends) {
        void write(DataOutput out, PidsAndRefs refs) throws IOException {
            out.writeUTF(name);
            refs.writePid(out, pid);
            id.write(out);
            out.writeShort(ends.size());
            for (RegistrationId e : ends) {
                e.write(out);
            }
        }

        static Registration read(DataInput in, PidsAndRefs refs) throws IOException {
            String name = in.readUTF();
            Pid pid = refs.readPid(in);
            RegistrationId id = RegistrationId.read(in);
            int n = in.readUnsignedShort();
            if (n > ENDS_MAX) {
                throw new IOException("a registration of " + name + " ending " + n + " others (at most " + ENDS_MAX
                        + ")");
            }
            List<RegistrationId> ends = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ends.add(RegistrationId.read(in));
            }
            return new Registration(name, pid, id, List.copyOf(ends));
        }
    }

    /** How a registration ended, as far as this node knows. */
    private enum End {
        /** Deleted or replaced: not taken again, and told to others (a registration's ends, a member's names). */
        DELETED,
        /**
         * Lost a conflict this node settled: not taken again, but not told (the winner may be stale here only; the
         * loser's own node tells the others if it sees the conflict too).
         */
        LOST,
        /**
         * Its node left: a new holder's registration ends it, but it is taken again if its node comes back (the
         * departure check refuses it meanwhile).
         */
        DEPARTED
    }

    /** An ended registration: its name, when this node first learnt it, and how. */
    private record Ended(String name, long at, End how) {
    }

    /**
     * A name's holder and the registrations that gave it the name, as far as this node knows: usually one; two when
     * the process registered the name again (the first one's deletion still on its way).
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
        if (gname.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > NAME_MAX_BYTES) {
            throw new HotcodeException("Global.register: name '" + gname.substring(0, 40) + "...' is longer than "
                    + NAME_MAX_BYTES + " bytes");
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
        CompletableFuture<Registration> answer = new CompletableFuture<>();
        registrations.put(req, answer);
        try {
            node.sessions.send(c, frames.frame(Frames.GREG, c, out -> {
                out.writeLong(req);
                out.writeUTF(gname);
                refs.writePid(out, pid);
            }));
            Registration taken = answer.get(5, TimeUnit.SECONDS);
            if (taken == null) {
                return false;
            }
            applyGlobal(taken); // the announcement may come later (another sender's frame)
            return registrationsOf(gname).contains(taken.id); // not when a deletion or a conflict came first here
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

    Pid whereisGlobal(String gname) {
        Held h = globals.get(gname);
        return h == null ? null : h.pid;
    }

    /** The registrations by which {@code gname}'s holder holds it here (tests). */
    List<RegistrationId> registrationsOf(String gname) {
        Held h = globals.get(gname);
        return h == null ? List.of() : h.ids;
    }

    // ------------------------------------------------------------------ the rules

    /**
     * The coordinator's decision: first come, first served; the winner is announced to every member. A process that
     * holds the name already gets a new registration that replaces its others (its unregistration may be on its way
     * here). Returns the registration, or null when another process holds the name, or the pid's process or node is
     * gone.
     */
    private Registration decideRegistration(String gname, Pid pid) {
        Registration r;
        synchronized (globals) {
            Held holder = globals.get(gname);
            if (holder != null && !holder.pid.equals(pid)
                    || pid instanceof RemotePid p && (node.isSelf(p) || isDeparted(p))) {
                return null;
            }
            List<RegistrationId> ends = new ArrayList<>();
            if (holder != null) {
                ends.addAll(holder.ids.subList(Math.max(0, holder.ids.size() - ENDS_MAX / 2), holder.ids.size()));
            }
            List<RegistrationId> gone = new ArrayList<>();
            for (Map.Entry<RegistrationId, Ended> e : deleted.entrySet()) {
                if (e.getValue().name.equals(gname) && e.getValue().how != End.LOST) {
                    gone.add(e.getKey());
                }
            }
            ends.addAll(gone.subList(Math.max(0, gone.size() - (ENDS_MAX - ends.size())), gone.size()));
            r = new Registration(gname, pid, new RegistrationId(incarnation, ++lastCount), List.copyOf(ends));
            long now = System.nanoTime();
            if (holder != null) {
                for (RegistrationId e : holder.ids) {
                    delete(gname, e, now); // replaced by r
                }
            }
            take(r, now);
        }
        if (!(pid instanceof RemotePid)) {
            node.links.watch(pid); // the name goes when its process does
        }
        node.multicastLater(Frames.GADD, out -> r.write(out, refs)); // out of the lock: see Registration.ends
        return r;
    }

    /**
     * Takes registration {@code r} (the coordinator's answer or announcement, or a member's names), unless it was
     * deleted already, its process's node has left, or its process, of this node, has exited (a registration
     * overtaken by that exit, which took the names). Two different holders (after a partition healed): the pid whose
     * node name sorts first, then the smaller incarnation, then the older process, keeps the name; a local loser is
     * told {@code {global_name_conflict, Name, Winner}}. Every node applies the same rule to the same pair, so all
     * agree without a round of messages; the loser's node deletes its registration everywhere.
     */
    private void applyGlobal(Registration r) {
        Held lost;
        Pid winner;
        synchronized (globals) {
            long now = System.nanoTime();
            for (RegistrationId e : r.ends) {
                delete(r.name, e, now);
            }
            if (r.pid instanceof RemotePid p && node.isSelf(p)) {
                // A process of this node that has exited (readPid names one it no longer finds so): not taken, and
                // deleted everywhere again, in case it reached the others after that exit's deletion too.
                if (isDeleted(r.id)) {
                    return; // deleted everywhere already
                }
                remember(r.id, r.name, now, End.DELETED);
                lost = new Held(r.pid, List.of(r.id));
                winner = null;
            } else if (isDeleted(r.id) || r.pid instanceof RemotePid p && isDeparted(p)) {
                return;
            } else {
                lost = take(r, now);
                winner = globals.get(r.name).pid;
            }
        }
        if (winner != null && !(winner instanceof RemotePid) && winner.equals(r.pid)) {
            node.links.watch(winner); // the name goes when its process does
        }
        if (lost != null && (winner == null || !(lost.pid instanceof RemotePid))) {
            if (winner != null) {
                LOG.log(System.Logger.Level.WARNING, "global name " + r.name + ": conflict after a partition"
                        + " healed; kept " + winner + ", removed " + lost.pid + " (this node's)");
                local.send(lost.pid, Tuple.of(CONFLICT, r.name, winner));
            }
            multicastDeletions(r.name, lost);
        }
    }

    /**
     * Puts registration {@code r} into the table (holding {@code globals}); returns what lost the name to it, or to
     * what it lost (then remembered as deleted here; its own node deletes it everywhere), or null.
     */
    private Held take(Registration r, long now) {
        Held holder = globals.get(r.name);
        Held lost = null;
        if (holder == null) {
            globals.put(r.name, new Held(r.pid, List.of(r.id)));
        } else if (holder.pid.equals(r.pid)) {
            globals.put(r.name, holder.with(r.id));
        } else if (rank(r.pid, holder.pid) < 0) {
            globals.put(r.name, new Held(r.pid, List.of(r.id)));
            lost = holder;
        } else {
            lost = new Held(r.pid, List.of(r.id));
        }
        if (lost != null) {
            for (RegistrationId id : lost.ids) {
                remember(id, r.name, now, End.LOST);
            }
        }
        return lost;
    }

    /** Deletes registration {@code id} of {@code gname} (holding {@code globals}), and remembers it. */
    private void delete(String gname, RegistrationId id, long now) {
        remember(id, gname, now, End.DELETED);
        Held holder = globals.get(gname);
        if (holder != null && holder.ids.contains(id)) {
            Held rest = holder.without(id);
            if (rest == null) {
                globals.remove(gname);
            } else {
                globals.put(gname, rest);
            }
        }
    }

    /** Unregisters {@code gname}, if held by {@code pid} (null: whoever holds it), everywhere. */
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
                remember(id, gname, now, End.DELETED); // its announcement may still be on its way here
            }
        }
        multicastDeletions(gname, held);
    }

    private void multicastDeletions(String gname, Held held) {
        for (RegistrationId id : held.ids) {
            node.multicastLater(Frames.GDEL, out -> {
                out.writeUTF(gname);
                refs.writePid(out, held.pid);
                id.write(out);
            });
        }
    }

    /**
     * Remembers an ended registration (holding {@code globals}), once: one learnt again keeps its first time and
     * place, so deletions that travel in members' names do not live on at every hello. Forgets those kept too long,
     * or the oldest.
     */
    private void remember(RegistrationId id, String gname, long now, End how) {
        Ended known = deleted.get(id);
        if (known != null) {
            if (how == End.DELETED && known.how != End.DELETED) {
                deleted.put(id, new Ended(known.name, known.at, how)); // same place: replacing a value keeps it
            }
            return;
        }
        Iterator<Ended> since = deleted.values().iterator();
        while (since.hasNext() && (now - since.next().at >= DELETED_KEPT_NANOS || deleted.size() >= DELETED_MAX)) {
            since.remove();
        }
        deleted.put(id, new Ended(gname, now, how));
    }

    /** Whether registration {@code id} is not to be taken (holding {@code globals}). */
    private boolean isDeleted(RegistrationId id) {
        Ended e = deleted.get(id);
        return e != null && e.how != End.DEPARTED;
    }

    /**
     * Whether {@code r}'s node has left and not come back (holding {@code globals}). Back is when it is a member
     * again, which comes before {@link #nodeUp}: the frames of a node that said hello may be read on another thread
     * before that runs.
     */
    private boolean isDeparted(RemotePid r) {
        return departed.contains(nodeKey(r.node(), r.incarnation())) && node.membership.peerOf(r) == null;
    }

    /** A node's key in {@link #departed}. */
    private static String nodeKey(String node, long incarnation) {
        return node + "/" + incarnation;
    }

    private int rank(Pid a, Pid b) {
        int c = nodeOf(a).compareTo(nodeOf(b));
        if (c != 0) {
            return c;
        }
        c = Long.compare(incarnationOf(a), incarnationOf(b));
        return c != 0 ? c : Long.compare(a.id(), b.id());
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
        Registration r = decideRegistration(gname, pid);
        node.sessions.send(p, frames.frame(Frames.GREG_REPLY, p, out -> {
            out.writeLong(req);
            out.writeBoolean(r != null);
            if (r != null) {
                r.write(out, refs);
            }
        }));
    }

    /** GREG_REPLY: the coordinator's answer to {@link #registerGlobal}. */
    void onRegisterReply(DataInput in) throws IOException {
        CompletableFuture<Registration> f = registrations.get(in.readLong());
        Registration r = in.readBoolean() ? Registration.read(in, refs) : null;
        if (f != null) {
            f.complete(r);
        }
    }

    /** GADD. */
    void onAdd(DataInput in) throws IOException {
        applyGlobal(Registration.read(in, refs));
    }

    /** GDEL. */
    void onDelete(DataInput in) throws IOException {
        String gname = in.readUTF();
        refs.readPid(in); // the holder's, for a reader of the frame: the id says which registration
        RegistrationId id = RegistrationId.read(in);
        synchronized (globals) {
            delete(gname, id, System.nanoTime());
        }
    }

    /**
     * GSYNC: a member's names, when it met this node: the deletions it remembers (a registration it has seen end, which
     * may reach this node from another member's names or late), then the names of its processes.
     */
    void onSync(DataInput in) throws IOException {
        int ended = in.readInt();
        if (ended < 0 || ended > DELETED_MAX) {
            throw new IOException("names of a member with " + ended + " deletions (at most " + DELETED_MAX + ")");
        }
        synchronized (globals) {
            long now = System.nanoTime();
            for (int i = 0; i < ended; i++) {
                String gname = in.readUTF();
                delete(gname, RegistrationId.read(in), now);
            }
        }
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            applyGlobal(Registration.read(in, refs));
        }
    }

    // ------------------------------------------------------------------ nodes and processes come and go

    /**
     * Member {@code p} said hello: it is told the deletions this node remembers and the names of this node's
     * processes (after the hello: UNICAST3 keeps the order), and its departure is forgotten (a healed partition brings
     * back the same incarnation; being a member again is what counts, {@link #isDeparted}: this keeps the list short).
     */
    void nodeUp(Peer p) {
        List<Map.Entry<RegistrationId, Ended>> ended = new ArrayList<>();
        List<Registration> mine = new ArrayList<>();
        synchronized (globals) {
            departed.remove(nodeKey(p.name, p.incarnation));
            for (Map.Entry<RegistrationId, Ended> e : deleted.entrySet()) {
                if (e.getValue().how == End.DELETED) {
                    ended.add(Map.entry(e.getKey(), e.getValue()));
                }
            }
            for (Map.Entry<String, Held> e : globals.entrySet()) {
                Held h = e.getValue();
                if (!(h.pid instanceof RemotePid)) {
                    for (RegistrationId id : h.ids) {
                        mine.add(new Registration(e.getKey(), h.pid, id, List.of()));
                    }
                }
            }
        }
        if (!mine.isEmpty() || !ended.isEmpty()) {
            node.sessions.send(p, frames.frame(Frames.GSYNC, p, out -> {
                out.writeInt(ended.size());
                for (Map.Entry<RegistrationId, Ended> e : ended) {
                    out.writeUTF(e.getValue().name);
                    e.getKey().write(out);
                }
                out.writeInt(mine.size());
                for (Registration r : mine) {
                    r.write(out, refs);
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
            departed.add(nodeKey(p.name, p.incarnation));
            Iterator<String> oldest = departed.iterator();
            while (departed.size() > DEPARTED_MAX && oldest.hasNext()) {
                oldest.next();
                oldest.remove();
            }
            long now = System.nanoTime();
            for (Iterator<Map.Entry<String, Held>> it = globals.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Held> e = it.next();
                if (e.getValue().pid instanceof RemotePid r && p.hosts(r)) {
                    for (RegistrationId id : e.getValue().ids) {
                        remember(id, e.getKey(), now, End.DEPARTED); // a new holder's registration ends it
                    }
                    it.remove();
                }
            }
        }
    }
}
