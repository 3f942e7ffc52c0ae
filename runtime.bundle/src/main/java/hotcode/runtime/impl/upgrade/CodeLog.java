package hotcode.runtime.impl.upgrade;

import hotcode.runtime.impl.ExitPathWarmup;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.impl.UpgradePathWarmup;

/** The code server's log lines: one per load, purge and rollback, never for the runtime's own warm-up modules. */
final class CodeLog {
    private CodeLog() {
    }

    static boolean quiet(String module) {
        return module.equals(ExitPathWarmup.MODULE) || module.equals(UpgradePathWarmup.MODULE);
    }

    static void info(String module, String line) {
        if (!quiet(module)) {
            Log.info(line);
        }
    }
}
