package hotcode.runtime.impl.code;

import hotcode.runtime.api.MigrationException;
import hotcode.runtime.api.ModuleInfo;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The code server's slot for one module name: current and old version, and the bundle that provides the module.
 * Guarded by its own monitor (the version fields are volatile for the router's lock-free reads).
 *
 * <p>A slot lives as long as the module has a version or its bundle is installed: after {@code delete} and a purge
 * the module is {@code not_loaded}, and a {@code load} or {@code update} of that bundle loads it again. Only when the
 * bundle is uninstalled and no version is left does the code server forget the module.
 */
final class LoadedModule {
    final String name;
    /** One of the runtime's own modules ({@link ModuleSource#internal()}): left out of listings and logs. */
    final boolean internal;
    /** The bundle that provides the module: a module's versions are revisions of this one bundle. */
    volatile String symbolicName;
    volatile long bundleId;
    /** The providing bundle was uninstalled: another bundle may provide the module from now on. */
    volatile boolean bundleGone;
    volatile ModuleVersion current;
    volatile ModuleVersion old;
    /** A {@code CodeServer.load} of this module is in progress. */
    final AtomicBoolean loading = new AtomicBoolean();
    /** After a rolled-back upgrade: the version the bundle is being restored to (see CodeServerImpl.restoring). */
    volatile ModuleVersion restoring;
    /** The last upgrade's failure, for {@code CodeServer.load}'s caller. */
    volatile MigrationException lastFailure;
    private int loads;

    LoadedModule(String name, String symbolicName, long bundleId, boolean internal) {
        this.name = name;
        this.internal = internal;
        this.symbolicName = symbolicName;
        this.bundleId = bundleId;
    }

    int nextVsn() {
        return ++loads;
    }

    /** Erlang's code:module_status, as {@link ModuleInfo} documents it. */
    String status() {
        return current != null ? ModuleInfo.LOADED : bundleGone ? ModuleInfo.REMOVED : ModuleInfo.NOT_LOADED;
    }

    /** Nothing left to remember: no version, and no bundle to load one from. */
    boolean forgettable() {
        return current == null && old == null && bundleGone;
    }

    String owner() {
        return "bundle " + symbolicName + " [" + bundleId + "]";
    }
}
