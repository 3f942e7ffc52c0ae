package hotcode.cluster.impl;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.RemotePid;
import org.jgroups.Address;
import org.jgroups.View;

import java.io.DataInput;
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
 * <p>The announcement of a registration (from the coordinator) and its deletion (from the holder's node) are
 * multicasts from two nodes, which JGroups orders per sender only: a third node may get the deletion first. A deletion
 * that finds nothing to delete is kept for a while ({@link #overtaken}) and cancels the one announcement it overtook,
 * so the name does not stay for good on a process that no longer holds it.
 */
final class GlobalNames {
    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final long incarnation;
    private final Frames frames;
    private final PidsAndRefs refs;

    private final Map<String, Pid> globals = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Boolean>> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong();
    /**
     * Deletions of another node's registrations that came before their announcement, in the order they came, with
     * the clock when each came; guarded by {@code globals}. Each cancels one announcement of the same name and pid
     * ({@link #cancelledByItsDeletion}): one, not all, because a process may take the name again after it gave it up
     * (the coordinator's announcements reach a node in their order, so the overtaken one comes first). Kept at most
     * {@link #OVERTAKEN_KEPT_NANOS} and {@link #OVERTAKEN_MAX} entries: an announcement later than that is taken, as
     * before there was this list.
     */
    private final LinkedHashMap<Registration, Long> overtaken = new LinkedHashMap<>();
    static final long OVERTAKEN_KEPT_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final int OVERTAKEN_MAX = 4096;

    private record Registration(String name, Pid pid) {
    }

    GlobalNames(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.incarnation = node.incarnation;
        this.frames = node.frames;
        this.refs = node.refs;
    }

    boolean registerGlobal(String gname, Pid pid) {
        if (gname == null || pid == null) {
            throw new HotcodeException("Global.register: name and pid must not be null");
        }
        View v = node.channel.getView();
        Address coord = v == null ? null : v.getCoord();
        if (coord == null || coord.equals(node.channel.getAddress())) {
            return decideRegistration(gname, pid);
        }
        Peer c = node.membership.peer(coord);
        if (c == null) {
            throw new HotcodeException("Global.register " + gname + ": the coordinator " + coord
                    + " has not said hello yet; try again");
        }
        long req = nextRequest.incrementAndGet();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        registrations.put(req, answer);
        try {
            node.sessions.send(c, frames.frame(Frames.GREG, c, out -> {
                out.writeLong(req);
                out.writeUTF(gname);
                refs.writePid(out, pid);
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
        node.multicast(Frames.GADD, out -> {
            out.writeUTF(gname);
            refs.writePid(out, pid);
        });
        return true;
    }

    void unregisterGlobal(String gname) {
        Pid holder = globals.remove(gname);
        if (holder != null) {
            node.multicast(Frames.GDEL, out -> {
                out.writeUTF(gname);
                refs.writePid(out, holder);
            });
        }
    }

    Pid whereisGlobal(String gname) {
        return globals.get(gname);
    }

    /**
     * Takes registration {@code gname -> pid}, from the coordinator or from a member republishing its names after a
     * view change; not one held by an exited process of this node (an announcement overtaken by that exit). Two
     * different holders (after a partition healed): the pid whose node name sorts first, then the older... the smaller
     * incarnation, keeps the name; a local loser is told {@code {global_name_conflict, Name,
     * Winner}}. Every node applies the same rule to the same pair, so all agree without a round of messages.
     */
    private void applyGlobal(String gname, Pid pid) {
        applyGlobal(gname, pid, false);
    }

    /**
     * {@link #applyGlobal(String, Pid)}, for an announcement from another node ({@code announced}): not taken if a
     * deletion of it came first.
     */
    private void applyGlobal(String gname, Pid pid, boolean announced) {
        if (pid instanceof RemotePid r && node.isSelf(r)) {
            // A process of this node that has exited (readPid names one it no longer finds so): an announcement that
            // came after its exit, which took its names. Not taken, and no one would ever remove it here; the others
            // are told again, in case it reached them late too.
            node.multicast(Frames.GDEL, out -> {
                out.writeUTF(gname);
                refs.writePid(out, pid);
            });
            return;
        }
        Pid loser = null;
        synchronized (globals) {
            if (announced && cancelledByItsDeletion(gname, pid)) {
                return;
            }
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
            node.links.watch(pid); // the name goes when its process does
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

    // ------------------------------------------------------------------ frames from other nodes

    /** GREG, on the coordinator: decides and answers. */
    void onRegister(Peer p, DataInput in) throws IOException {
        long req = in.readLong();
        String gname = in.readUTF();
        Pid pid = refs.readPid(in);
        boolean ok = decideRegistration(gname, pid);
        node.sessions.send(p, frames.frame(Frames.GREG_REPLY, p, out -> {
            out.writeLong(req);
            out.writeBoolean(ok);
        }));
    }

    /** GREG_REPLY: the coordinator's answer to {@link #registerGlobal}. */
    void onRegisterReply(DataInput in) throws IOException {
        CompletableFuture<Boolean> f = registrations.get(in.readLong());
        if (f != null) {
            f.complete(in.readBoolean());
        }
    }

    /** GADD. */
    void onAdd(DataInput in) throws IOException {
        applyGlobal(in.readUTF(), refs.readPid(in), true);
    }

    /**
     * GDEL. One that finds nothing to delete for another node's process may have overtaken its announcement: kept,
     * to cancel it.
     */
    void onDelete(DataInput in) throws IOException {
        String gname = in.readUTF();
        Pid pid = refs.readPid(in);
        synchronized (globals) {
            if (!globals.remove(gname, pid) && pid instanceof RemotePid r && !node.isSelf(r)) {
                long now = System.nanoTime();
                forgetOvertaken(now);
                overtaken.put(new Registration(gname, pid), now);
            }
        }
    }

    /** GSYNC: the names of a member's processes, when it met this node. */
    void onSync(DataInput in) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            applyGlobal(in.readUTF(), refs.readPid(in), true);
        }
    }

    /** Whether a deletion of {@code gname -> pid} came before this announcement of it (and is used up by it). */
    private boolean cancelledByItsDeletion(String gname, Pid pid) {
        if (overtaken.isEmpty()) {
            return false;
        }
        forgetOvertaken(System.nanoTime());
        return overtaken.remove(new Registration(gname, pid)) != null;
    }

    /** Drops the overtaking deletions kept too long, and the oldest beyond the limit. */
    private void forgetOvertaken(long now) {
        Iterator<Long> since = overtaken.values().iterator();
        while (since.hasNext()) {
            long at = since.next();
            if (now - at < OVERTAKEN_KEPT_NANOS && overtaken.size() < OVERTAKEN_MAX) {
                return;
            }
            since.remove();
        }
    }

    // ------------------------------------------------------------------ nodes and processes come and go

    /** What this node registered globally, for the newcomer {@code p} (after the hello: UNICAST3 keeps the order). */
    void nodeUp(Peer p) {
        List<Map.Entry<String, Pid>> mine = new ArrayList<>();
        for (Map.Entry<String, Pid> e : globals.entrySet()) {
            if (!(e.getValue() instanceof RemotePid)) {
                mine.add(e);
            }
        }
        if (!mine.isEmpty()) {
            node.sessions.send(p, frames.frame(Frames.GSYNC, p, out -> {
                out.writeInt(mine.size());
                for (Map.Entry<String, Pid> e : mine) {
                    out.writeUTF(e.getKey());
                    refs.writePid(out, e.getValue());
                }
            }));
        }
    }

    /** The names of local process {@code pid}, which exited, go everywhere. */
    void localExit(Pid pid) {
        for (Map.Entry<String, Pid> e : globals.entrySet()) {
            if (e.getValue().equals(pid)) {
                unregisterGlobal(e.getKey());
            }
        }
    }

    /** The names of {@code p}'s processes go (every node does the same: no frame). */
    void nodeDown(Peer p) {
        globals.values().removeIf(pid -> pid instanceof RemotePid r && p.hosts(r));
    }
}
