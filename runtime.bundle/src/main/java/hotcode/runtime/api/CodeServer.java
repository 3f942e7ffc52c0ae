package hotcode.runtime.api;

import org.osgi.annotation.versioning.ProviderType;

import java.util.List;
import java.util.Optional;

/**
 * The code server, Erlang's {@code code} module: per module a <em>current</em> and an <em>old</em> version, each a
 * revision of the module's bundle. Also published as an OSGi service by the runtime bundle.
 *
 * <p>OSGi operations on a module bundle map onto it: {@code start} loads the bundle's revision (purging the old
 * version first if there is one, like the shell's {@code l(M)}); {@code update} of an active bundle is therefore
 * purge + load; {@code refresh} purges (processes still running the old version are killed); {@code uninstall} is
 * {@link #delete}; {@code stop} changes nothing (running processes and qualified calls keep the current version).
 */
@ProviderType
public interface CodeServer {
    /** Whether {@code module} has a current version. */
    boolean isLoaded(String module);

    /** The module's versions, or empty when the code server has never loaded it (or has dropped it entirely). */
    Optional<ModuleInfo> which(String module);

    /** Every module the code server knows, by name. */
    List<ModuleInfo> modules();

    /**
     * Erlang's {@code check_process_code}: whether {@code pid} runs the old version of {@code module}: it has a frame
     * of it (a qualified call into it in progress), or it is inside a fun (lambda) the old version made, which the
     * process finds by walking its own stack when asked (woken if it waits in {@code receive}). A process that
     * re-entered through a qualified tail call and left every old fun runs none. One that cannot answer (busy
     * without runtime calls, blocked in a JDK call) is judged by its frames. Purge and soft purge decide the same
     * way. See docs/DESIGN.md, "Old funs".
     */
    boolean checkProcessCode(Pid pid, String module);

    /**
     * Erlang's {@code purge}: drops the old version, first killing (reason {@code killed}) every process running it.
     * {@code purged} is false when there was no old version. Never hangs: processes that do not stop within the
     * purge bound are reported as blockers.
     */
    PurgeResult purge(String module);

    /**
     * A purge in the given mode: {@link PurgeMode#KILL} is {@link #purge(String)}; {@link PurgeMode#MIGRATE} moves
     * the processes it can to the current version (listed in {@link PurgeResult#migrated()}) and kills the rest.
     */
    PurgeResult purge(String module, PurgeMode mode);

    /**
     * Erlang's {@code soft_purge}: drops the old version only if no process runs it; otherwise does nothing and names
     * the processes that block it. {@code purged} is true when there was nothing to purge, as in Erlang.
     */
    PurgeResult softPurge(String module);

    /**
     * Erlang's {@code load_file}: loads a new version of {@code module} from the jar at {@code url}, by updating the
     * module's bundle. Refused with a {@code not_purged} error while the module has old code (purge it first), and
     * refused before anything changes when the jar is not a version of this module (other symbolic name, no or
     * another {@code Hotcode-Module} header). Returns the version now current. Throws {@link MigrationException}
     * when the module's servers could not be migrated: the upgrade was rolled back.
     */
    VersionInfo load(String module, String url);

    /**
     * Erlang's {@code delete}: the current version becomes old and there is no current one; qualified calls then
     * fail with {@code undef}; nobody is killed. Refused (false) when the module already has old code or no current
     * version.
     */
    boolean delete(String module);

    /**
     * Installs the release described by the release file at {@code fileOrUrl} (a path or a URL), all or nothing, as
     * Erlang's release handler installs a release: its library bundles are updated first, then every module bundle,
     * and each module is <em>prepared</em> (servers suspended at their safe points, every {@code codeChange} run and
     * staged) without becoming current; when all are prepared, all are committed in one step, so no process ever sees
     * some modules of the release new and others old. If anything fails (a jar that does not resolve or start, a bad
     * module, one {@code codeChange}, the migration bound), nothing changes: every module keeps its version, every
     * server its state and mailbox, every bundle is restored to its previous jar, and the error (a
     * {@link MigrationException} when a server's migration failed) names the bundle, module, pid and cause.
     *
     * <p>A bad release file (malformed, a bundle twice, a jar that is not the bundle or kind it claims, two versions
     * of one module, a missing file) is refused, naming the line, before anything is touched; so is a release one of
     * whose modules still has old code ({@code not_purged}), unless the release says {@code purge: true}. Bundles
     * whose installed version is the release's are left alone. Installing the current release again changes nothing
     * ({@link ReleaseResult#changed()} is false). See docs/DESIGN.md, "Releases", and the release file's format there.
     */
    ReleaseResult installRelease(String fileOrUrl);

    /** The releases installed so far, oldest first: the last is {@code current}, the others {@code old}. */
    List<ReleaseInfo> releases();
}
