package hotcode.runtime.spi.node;

import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;

import java.util.List;

/**
 * What the runtime asks of the cluster: implemented by the cluster bundle and attached with
 * {@link LocalNode#attach}. Without one attached the runtime is a single node: a send to a {@link RemotePid} is a dead
 * letter {@code noconnection}, a link or monitor of one fires {@code noconnection} at once.
 *
 * <p>Calls come from the calling process's thread: an implementation must not block it longer than handing the
 * frame to the network takes.
 */
public interface NodeTransport {
    /** This node's name. */
    String node();

    /** The names of the other nodes in the cluster now. */
    List<String> nodes();

    /** Sends {@code message} to {@code to}: delivered in order per sender and receiver, or accounted for. */
    void send(RemotePid to, Object message);

    /** {@code exit(to, reason)} from {@code from} (a local pid, or null for a thread that is not a process). */
    void exit(Pid from, RemotePid to, Object reason);

    /** Links local process {@code self} and {@code other}. */
    void link(Pid self, RemotePid other);

    void unlink(Pid self, RemotePid other);

    /** Monitors {@code target} from local process {@code self}. */
    Ref monitor(Pid self, RemotePid target);

    /** Removes a monitor of a remote process; false when {@code ref} is not one (the runtime then looks locally). */
    boolean demonitor(Pid self, Ref ref);

    /** Erlang's {@code monitor_node(Node, Flag)} for local process {@code self}. */
    void monitorNode(Pid self, String node, boolean on);

    /** {@code global:register_name}: false when the name is taken. */
    boolean registerGlobal(String name, Pid pid);

    void unregisterGlobal(String name);

    Pid whereisGlobal(String name);

    /**
     * The pid this node prints {@code <index.id.0>}: process {@code id} of the node (and incarnation) this node gave
     * number {@code index}, connected or not; null when no node has that number here.
     */
    RemotePid pid(int index, long id);

    /** Whether {@code pid}'s node is connected in the incarnation the pid names (not a pid of an earlier one). */
    boolean connected(RemotePid pid);

    /**
     * Erlang's {@code rpc:call(Node, ...)} for the console: has {@code node} answer {@code request} with {@code args}
     * ({@link LocalNode#serve} there) and returns its answer, in the neutral form of values between nodes. Waits at
     * most {@code timeoutMillis}. Throws a {@code HotcodeException} naming the node when it is not connected, does
     * not answer in time, leaves meanwhile, or fails the request (its error is in the message).
     */
    Object call(String node, String request, java.util.List<Object> args, long timeoutMillis);

    /**
     * A node as {@code hotcode:nodes} lists it (the observer's Nodes view shows the same).
     *
     * @param index       the {@code N} of its pids {@code <N.id.0>} here; 0 for this node
     * @param incarnation its incarnation, or 0 when unknown
     * @param address     its address in the cluster, or null when unknown
     * @param connected   whether it is a member now
     * @param modules     its modules' current versions as it last announced them, or null when unknown (the runtime
     *                    then asks it)
     */
    record NodeInfo(int index, String node, long incarnation, String address, boolean self, boolean connected,
                    java.util.Map<String, String> modules) {
    }

    /**
     * This node and every node it has numbered (connected or not, in the order of their numbers). The default reads
     * what this interface already says: the numbers from {@link #pid(int, long)} (1, 2, ... up to the first without a
     * node) and {@link #connected}; a transport that knows incarnations, addresses and announced versions of every
     * node (this node's too) should override it.
     */
    default List<NodeInfo> nodeInfo() {
        List<NodeInfo> out = new java.util.ArrayList<>();
        out.add(new NodeInfo(0, node(), 0, null, true, true, null));
        for (int i = 1; i < 100_000; i++) {
            RemotePid p = pid(i, 0);
            if (p == null) {
                break;
            }
            out.add(new NodeInfo(i, p.node(), p.incarnation(), null, false, connected(p), null));
        }
        return out;
    }
}
