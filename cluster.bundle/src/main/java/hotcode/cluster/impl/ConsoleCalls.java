package hotcode.cluster.impl;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.spi.node.LocalNode;

import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static hotcode.cluster.impl.Frames.CALL;
import static hotcode.cluster.impl.Frames.REPLY;

/**
 * The console's requests to another node, Erlang's {@code rpc:call} for {@code hotcode:ps}, {@code info} and
 * {@code modules} with a node: a CALL frame travels in the pair's queue after everything sent before it, the other
 * node answers it ({@link LocalNode#serve}) on a thread of its own, never JGroups' delivery thread, with a REPLY;
 * a node that goes fails the calls waiting for it ({@link #nodeDown}).
 */
final class ConsoleCalls {
    private final ClusterNode node;
    private final LocalNode local;
    private final String name;
    private final Frames frames;
    private final ExecutorService flusher;
    private final AtomicLong nextRequest = new AtomicLong();

    ConsoleCalls(ClusterNode node) {
        this.node = node;
        this.local = node.local;
        this.name = node.name;
        this.frames = node.frames;
        this.flusher = node.flusher;
    }

    /** A request of this node's console to another node, waiting for its answer. */
    record PendingCall(Peer peer, CompletableFuture<Object> answer) {
    }

    private final Map<Long, PendingCall> calls = new ConcurrentHashMap<>();

    /**
     * Erlang's {@code rpc:call} for the console: the request travels as a frame after everything this node sent to
     * {@code node} before (a {@code ps} there sees the messages sent to it from here), and is answered on a thread of
     * that node's own, never JGroups' delivery thread.
     */
    Object call(String nodeName, String request, List<Object> args, long timeoutMillis) {
        if (nodeName.equals(name)) {
            return local.serve(request, args);
        }
        Peer p = node.membership.peer(nodeName);
        if (p == null) {
            throw new HotcodeException(request + ": node " + nodeName + " is not connected to node " + name
                    + " (connected: " + node.membership.names() + ")");
        }
        byte[] value = frames.encode(args);
        long id = nextRequest.incrementAndGet();
        PendingCall c = new PendingCall(p, new CompletableFuture<>());
        calls.put(id, c);
        try {
            synchronized (p) {
                if (p.gone) { // it went before the call was registered, so nodeDown did not see it
                    throw new HotcodeException(request + ": node " + nodeName + " left the cluster");
                }
            }
            node.sessions.send(p, frames.frame(CALL, p, out -> {
                out.writeLong(id);
                out.writeUTF(request);
                out.write(value);
            }));
            return c.answer().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new HotcodeException(request + ": node " + nodeName + " did not answer within " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException(request + ": interrupted while waiting for node " + nodeName);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new HotcodeException(request + " on node " + nodeName + ": " + e.getCause().getMessage());
        } finally {
            calls.remove(id);
        }
    }

    void onCall(Peer p, DataInput in) throws IOException {
        long id = in.readLong();
        String request = in.readUTF();
        Object args = frames.codec.read(in);
        try {
            flusher.execute(() -> {
                byte[] answer;
                String error = null;
                try {
                    answer = frames.encode(local.serve(request, args instanceof List<?> l ? new ArrayList<>(l) : List.of()));
                } catch (RuntimeException e) {
                    answer = null;
                    error = String.valueOf(e.getMessage());
                }
                byte[] a = answer;
                String err = error;
                node.sessions.send(p, frames.frame(REPLY, p, out -> {
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

    void onReply(Peer p, DataInput in) throws IOException {
        long id = in.readLong();
        PendingCall c = calls.get(id);
        if (c == null || c.peer() != p) {
            node.sessions.refused(p.address, REPLY, "an answer to request " + id + ", which this node did not send to " + p.name
                    + " or no longer waits for");
            return;
        }
        if (in.readBoolean()) {
            try {
                c.answer().complete(frames.codec.read(in));
            } catch (IncompatibleValueException e) {
                c.answer().completeExceptionally(new HotcodeException("its answer cannot be read here: " + e.getMessage()));
            }
        } else {
            c.answer().completeExceptionally(new HotcodeException(in.readUTF()));
        }
    }

    /** The calls waiting for {@code p} fail, saying why it went. */
    void nodeDown(Peer p, String why) {
        for (PendingCall c : calls.values()) {
            if (c.peer() == p) {
                c.answer().completeExceptionally(new HotcodeException("node " + p.name + " left the cluster before it"
                        + " answered (" + why + ")"));
            }
        }
    }
}
