package hotcode.runtime.impl.osgi;

import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.code.ModuleVersion;
import org.osgi.framework.wiring.BundleWiring;

import java.util.Collection;

/**
 * Loads every class of a version's bundle while its wiring is still valid. Used just before a refresh disposes the
 * wiring of the current version: after that, code already running keeps working only with classes already loaded.
 */
final class ClassPreloader {
    private ClassPreloader() {
    }

    static void loadAll(ModuleVersion v) {
        BundleWiring wiring = BundleModuleRevision.wiringOf(v);
        if (wiring == null) {
            return;
        }
        Collection<String> resources = wiring.listResources("/", "*.class",
                BundleWiring.LISTRESOURCES_RECURSE | BundleWiring.LISTRESOURCES_LOCAL);
        int loaded = 0;
        for (String r : resources) {
            String name = r.substring(0, r.length() - ".class".length()).replace('/', '.');
            if (name.endsWith("module-info") || name.endsWith("package-info")) {
                continue;
            }
            try {
                Class.forName(name, false, v.loader());
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                Log.warn(v.label() + ": could not preload " + name + " before the refresh: " + e);
            }
        }
        Log.info("refresh of " + v.label() + " (current): loaded its " + loaded + " classes so its processes keep running");
    }
}
