package hotcode.cluster.impl;

import hotcode.runtime.spi.node.LocalNode;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static hotcode.cluster.impl.ClusterNode.LOG;
import static hotcode.cluster.impl.Frames.CLOAD;
import static hotcode.cluster.impl.Frames.CLOAD_MODULE;
import static hotcode.cluster.impl.Frames.DONE;
import static hotcode.cluster.impl.Frames.VERDICT;
import static hotcode.cluster.impl.Frames.VOTE;

/**
 * The coordinated load ({@code hotcode:cluster load}): a two-phase commit of one module's load or one release's
 * installation over every node. The node where it starts sends the load (CLOAD, CLOAD_MODULE) to every member; each
 * prepares it in its local transaction and votes (VOTE), waiting at the barrier; the starting node sends the verdict
 * (VERDICT: commit when every node prepared, else abort with the first refusal) and collects every node's outcome
 * (DONE) for its report. A member that leaves during the load votes no ({@link #nodeDown}).
 */
final class CoordinatedLoad {
    /** How long a coordinated load waits for the votes, and a prepared node for the verdict. */
    static final long LOAD_TIMEOUT_MILLIS = Long.getLong("hotcode.cluster.loadTimeoutMillis", 60_000);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final Frames frames;

    CoordinatedLoad(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.frames = node.frames;
    }

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
        Set<String> members = new java.util.TreeSet<>(node.membership.nameSet());
        members.add(name);
        LoadRound round = new LoadRound(members);
        rounds.put(id, round);
        try {
            for (Peer p : new ArrayList<>(node.membership.peers())) {
                node.sessions.send(p, frames.frame(module == null ? CLOAD : CLOAD_MODULE, p, out -> {
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
                Peer p = node.membership.peer(m);
                if (p != null) {
                    node.sessions.send(p, frames.frame(VERDICT, p, out -> {
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

    void recordVote(long id, String node, String refusal) {
        LoadRound round = rounds.get(id);
        if (round != null) {
            synchronized (round) {
                round.votes.putIfAbsent(node, java.util.Optional.ofNullable(refusal));
                round.notifyAll();
            }
        }
    }

    void recordDone(long id, String node, boolean ok, String outcome) {
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
    void startLocalInstall(long id, String module, String url, Peer initiator) {
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
        node.sessions.send(initiator, frames.frame(VOTE, initiator, out -> {
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
        node.sessions.send(initiator, frames.frame(DONE, initiator, out -> {
            out.writeLong(id);
            out.writeBoolean(ok);
            out.writeUTF(outcome.length() > 60_000 ? outcome.substring(0, 60_000) : outcome);
        }));
    }

    /** A verdict from the node that started load {@code id}. */
    void onVerdict(long id, String reason) {
        verdicts.computeIfAbsent(id, k -> new CompletableFuture<>()).complete(reason);
    }

    /** The loads this node started and {@code p} was part of abort: it votes no and reports no outcome. */
    void nodeDown(Peer p, String why) {
        for (Map.Entry<Long, LoadRound> e : rounds.entrySet()) { // a coordinated load it was part of aborts
            recordVote(e.getKey(), p.name, "left the cluster during the load (" + why + ")");
            recordDone(e.getKey(), p.name, false, "left the cluster during the load");
        }
    }
}
