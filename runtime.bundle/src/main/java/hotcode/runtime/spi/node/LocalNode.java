package hotcode.runtime.spi.node;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;

import java.util.Map;

/**
 * What the runtime offers the cluster bundle: the local end of the node. The runtime registers one as an OSGi
 * service of this type; a test gets one from its kernel. This package is exported only to bundles that ask for it by
 * the mandatory attribute {@code hotcode.spi=node} (the cluster bundle): a module bundle cannot wire to it by accident.
 */
public interface LocalNode {
    /** Makes {@code t} the transport for remote pids; one at a time. */
    void attach(NodeTransport t);

    /** Detaches {@code t} if it is the attached one: sends to remote pids are then dead letters {@code noconnection}. */
    void detach(NodeTransport t);

    /** Starts a process (the cluster's own, which watches local processes for remote links and monitors). */
    Pid spawn(Next body);

    /** Sends to a local pid, as {@code Hotcode.send}. */
    void send(Pid local, Object message);

    /** Monitors local {@code target} from the calling process, which must be a process of this runtime. */
    Ref monitor(Pid target);

    void demonitor(Ref ref);

    /** The live local process numbered {@code id}, or null. */
    Pid pid(long id);

    /**
     * Sends to local process number {@code id}; a dead letter {@code noproc} if it has exited, naming the sender of an
     * {@link Encoded} message ({@link Encoded#from}).
     */
    void send(long id, Object message);

    /**
     * An exit signal to local process {@code local} from {@code from} (a remote pid): with {@code link} a linked
     * process's exit ({@code kill} trappable), else {@code exit(Pid, Reason)}. As between local processes: a trapping
     * process gets {@code {'EXIT', From, Reason}}, another ends unless the reason is {@code normal}.
     */
    void exitSignal(Pid local, Pid from, Object reason, boolean link);

    /** Counts {@code message} to {@code to} as a dead letter with {@code reason}. */
    void deadLetter(Pid to, Object message, Atom reason);

    /** {@link #deadLetter(Pid, Object, Atom)} of a message sent by {@code from} (null: unknown). */
    default void deadLetter(Pid to, Object message, Atom reason, Pid from) {
        deadLetter(to, message, reason);
    }

    /** The calling process if it is one of this runtime's, else null. */
    Pid self();

    /** {module, version} of the module version that defined {@code type}, or null for a class of no module. */
    String[] moduleOf(Class<?> type);

    /** The class loader of {@code module}'s loaded version {@code version} (current or old), or null. */
    ClassLoader loader(String module, String version);

    /** Every loaded module with its current version. */
    Map<String, String> moduleVersions();

    /**
     * Installs the release at {@code url} as {@code CodeServer.installRelease} does, calling {@code barrier} once
     * every module is prepared: it commits when the barrier returns null, else rolls back. Fails as installRelease
     * does (a refused release, a module that could not be prepared, the barrier's abort).
     */
    hotcode.runtime.api.ReleaseResult installRelease(String url, ReleaseBarrier barrier);

    /**
     * Loads version {@code url} of {@code module} as {@code CodeServer.load} does, calling {@code barrier} once the
     * module is prepared: it commits when the barrier returns null, else rolls back. Fails as load does (an unknown
     * module, old code not purged, a codeChange that fails, the barrier's abort).
     */
    hotcode.runtime.api.VersionInfo load(String module, String url, ReleaseBarrier barrier);

    /** Dead letters so far, by reason. */
    Map<String, Long> deadLettersByReason();

    /**
     * Answers another node's console ({@link NodeTransport#call}): {@code ps} ({@code [All]}), {@code info}
     * ({@code [ProcessNumber]}) and {@code modules} ({@code []}), each as a table {@code [Columns, Rows, Notes]} of JDK
     * types and pids. Only these: a node reads, it does not run what another node names. Throws a
     * {@code HotcodeException} for an unknown request, bad arguments or a process that is not alive.
     */
    Object serve(String request, java.util.List<Object> args);
}
