package hotcode.runtime.impl.code;

/** The code server's slot for one module name: current and old version. Guarded by its own monitor. */
final class LoadedModule {
    final String name;
    /** The bundle that provides the module; another bundle claiming the same name is refused. */
    final String symbolicName;
    volatile ModuleVersion current;
    volatile ModuleVersion old;
    /** A {@code CodeServer.load} of this module is in progress. */
    final java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean();
    /** After a rolled-back upgrade: the version the bundle is being restored to (see CodeServerImpl.restoring). */
    volatile ModuleVersion restoring;
    /** The last upgrade's failure, for {@code CodeServer.load}'s caller. */
    volatile hotcode.runtime.api.MigrationException lastFailure;
    private int loads;

    LoadedModule(String name, String symbolicName) {
        this.name = name;
        this.symbolicName = symbolicName;
    }

    int nextVsn() {
        return ++loads;
    }
}
