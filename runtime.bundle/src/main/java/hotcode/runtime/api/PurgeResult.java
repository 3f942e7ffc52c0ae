package hotcode.runtime.api;

import java.util.List;

/**
 * What a purge did. {@code purged}: old code was dropped. {@code killed}: processes killed because they ran it.
 * {@code blockers}: processes that block a soft purge (nothing was done), or that a purge could not stop within its
 * time bound (the old code was dropped anyway; they may still run already-loaded old classes). {@code migrated}: in a
 * {@link PurgeMode#MIGRATE migrate} purge, processes moved to the current version instead of being killed.
 */
public record PurgeResult(String module, boolean purged, List<Pid> killed, List<Pid> blockers, List<Pid> migrated) {
    public PurgeResult(String module, boolean purged, List<Pid> killed, List<Pid> blockers) {
        this(module, purged, killed, blockers, List.of());
    }
}
