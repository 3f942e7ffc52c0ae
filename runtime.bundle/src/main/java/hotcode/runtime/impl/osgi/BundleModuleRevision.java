package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.code.ModuleRevision;
import hotcode.runtime.impl.code.ModuleVersion;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;

/**
 * A module version's bundle revision and the wiring it was bound to, as the code server compares them: Felix keeps a
 * revision object across a refresh and gives it a new wiring, so the same revision may come back on another wiring.
 */
record BundleModuleRevision(BundleRevision revision, BundleWiring wiring) implements ModuleRevision {
    @Override
    public boolean sameRevision(ModuleRevision other) {
        return other instanceof BundleModuleRevision o && o.revision == revision;
    }

    @Override
    public boolean sameWiring(ModuleRevision other) {
        return other instanceof BundleModuleRevision o && o.revision == revision && o.wiring == wiring;
    }

    /** The bundle revision {@code v} was loaded from, or null for a version outside OSGi. */
    static BundleRevision revisionOf(ModuleVersion v) {
        return v.revision() instanceof BundleModuleRevision r ? r.revision : null;
    }

    /** The wiring {@code v} runs on now (after a refresh, the new one), or null for a version outside OSGi. */
    static BundleWiring wiringOf(ModuleVersion v) {
        return v.wiring() instanceof BundleModuleRevision r ? r.wiring : null;
    }

    @Override
    public String toString() {
        return revision + " on " + wiring;
    }
}
