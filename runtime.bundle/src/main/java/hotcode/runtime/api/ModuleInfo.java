package hotcode.runtime.api;

import java.util.Optional;

/**
 * What the code server holds for one module: its current and old versions (either may be absent) and a status in
 * the words of Erlang's {@code code:module_status}:
 * <ul>
 * <li>{@code loaded}: there is a current version;</li>
 * <li>{@code not_loaded}: no current version, but the module's bundle is still installed (after
 *     {@link CodeServer#delete}, before or after the old code is purged), so {@link CodeServer#load} or an
 *     {@code update} of the bundle loads it again;</li>
 * <li>{@code removed}: no current version and its bundle was uninstalled; only old code is left, and once that is
 *     purged the code server forgets the module ({@link CodeServer#which} is then empty: Erlang's
 *     {@code non_existing}).</li>
 * </ul>
 */
public record ModuleInfo(String name, String status, Optional<VersionInfo> current, Optional<VersionInfo> old) {
    public static final String LOADED = "loaded";
    public static final String NOT_LOADED = "not_loaded";
    public static final String REMOVED = "removed";

    /** A module whose bundle is installed: {@code loaded} with a current version, else {@code not_loaded}. */
    public ModuleInfo(String name, Optional<VersionInfo> current, Optional<VersionInfo> old) {
        this(name, current.isPresent() ? LOADED : NOT_LOADED, current, old);
    }
}
