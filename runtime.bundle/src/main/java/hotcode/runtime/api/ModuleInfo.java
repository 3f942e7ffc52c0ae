package hotcode.runtime.api;

import java.util.Optional;

/**
 * What the code server holds for one module: its current and old versions (either may be absent) and a status as
 * Erlang's {@code code:module_status}: {@code loaded} (a current version), {@code removed} (old code only, after a
 * delete or uninstall) or {@code not_loaded}.
 */
public record ModuleInfo(String name, Optional<VersionInfo> current, Optional<VersionInfo> old) {
    public String status() {
        return current.isPresent() ? "loaded" : old.isPresent() ? "removed" : "not_loaded";
    }
}
