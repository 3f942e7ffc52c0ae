package hotcode.runtime.impl.upgrade;

import hotcode.runtime.impl.code.ModuleSlot;
import hotcode.runtime.impl.log.Log;

/**
 * The code server's log lines: one per load, purge and rollback, never for the runtime's own (internal) modules; their
 * Log Service logger is {@code hotcode.code}.
 */
final class CodeLog {
    private CodeLog() {
    }

    static void info(ModuleSlot m, String line) {
        if (!m.internal()) {
            Log.info(Log.Concern.CODE, line);
        }
    }
}
