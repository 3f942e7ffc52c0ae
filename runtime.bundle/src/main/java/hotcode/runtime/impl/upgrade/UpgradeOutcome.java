package hotcode.runtime.impl.upgrade;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.code.ModuleVersion;

/**
 * How one module's upgrade ended, as a value: {@link Result#COMMITTED} ({@code to} is current, {@code from} old),
 * {@link Result#ABORTED} ({@code from} stays current; {@code cause} says why) or {@link Result#UNCHANGED} (the
 * revision was already current, or a refresh re-bound it: no new version). Timings are what the servers' part took.
 */
public record UpgradeOutcome(String module, Result result, ModuleVersion from, ModuleVersion to, int servers,
                             long prepareNanos, long endNanos, HotcodeException cause) {
    public enum Result { COMMITTED, ABORTED, UNCHANGED }

    static UpgradeOutcome unchanged(String module, ModuleVersion current) {
        return new UpgradeOutcome(module, Result.UNCHANGED, current, current, 0, 0, 0, null);
    }

    public boolean committed() {
        return result == Result.COMMITTED;
    }
}
