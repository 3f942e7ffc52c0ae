package hotcode.runtime.impl.code;

/**
 * Where a module version's code lives, as the code server sees it: one revision of the module's bundle, on one
 * wiring. The code server only compares them: Felix keeps a revision object across a refresh and gives it a new
 * wiring, so "the same code" and "the same class loader" are two questions. The OSGi boundary
 * ({@code impl.osgi.BundleModuleRevision}) implements it over a {@code BundleRevision} and its {@code BundleWiring};
 * tests implement it with plain objects.
 */
public interface ModuleRevision {
    /** Whether {@code other} is the same bundle revision (possibly on another wiring, after a refresh). */
    boolean sameRevision(ModuleRevision other);

    /** Whether {@code other} is the same revision on the same wiring: nothing changed at all. */
    boolean sameWiring(ModuleRevision other);

    /** A revision outside OSGi (tests, the runtime's internal modules): each is its own revision and wiring. */
    static ModuleRevision detached() {
        return new ModuleRevision() {
            @Override
            public boolean sameRevision(ModuleRevision other) {
                return other == this;
            }

            @Override
            public boolean sameWiring(ModuleRevision other) {
                return other == this;
            }

            @Override
            public String toString() {
                return "detached revision";
            }
        };
    }
}
