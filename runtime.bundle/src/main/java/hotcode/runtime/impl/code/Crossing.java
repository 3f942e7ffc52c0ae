package hotcode.runtime.impl.code;

import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Tuple;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rule for values that cross versions: a value whose class was defined by one version of a module may reach
 * only that version; JDK types, the runtime's terms, and classes of non-module bundles pass anywhere. Tuples are
 * checked element by element; other containers are not looked into (documented limitation).
 */
public final class Crossing {
    private static final ClassLoader RUNTIME = Crossing.class.getClassLoader();
    /** Class loader -> the module version it belongs to; kept by the code server. */
    static final Map<ClassLoader, ModuleVersion> OWNERS = new ConcurrentHashMap<>();

    private Crossing() {
    }

    /**
     * Throws {@link IncompatibleValueException} when {@code value} cannot be read by {@code target} (whose current
     * class loader is {@code target.loader()}); {@code what}
     * ("message", "argument") only names the value in the error, so callers pass a constant.
     */
    public static void check(String what, Object value, ModuleVersion target) {
        if (value == null) {
            return;
        }
        ClassLoader cl = value.getClass().getClassLoader();
        if (cl == null || cl == target.loader()) {
            return;
        }
        if (cl == RUNTIME) {
            if (value instanceof Tuple t) {
                for (int i = 0; i < t.size(); i++) {
                    check(what, t.get(i), target);
                }
            }
            return;
        }
        if (value instanceof Throwable) {
            return; // an exit reason: any version can read it as a Throwable
        }
        ModuleVersion owner = OWNERS.get(cl);
        if (owner != null && owner.module().equals(target.module())) {
            // another version, or the same version before a refresh re-bound it to a new class loader
            throw new IncompatibleValueException(what, value.getClass().getName(),
                    owner == target ? owner.label() + " before its refresh" : owner.label(), target.label());
        }
    }

    /**
     * The version whose loader defined {@code type}, or null for classes outside every module. The runtime's own
     * classes belong to no module, even while an internal module (a start-up warm-up, whose code is the runtime's)
     * is loaded: a process spawned from {@code Next.call(..)}, a runtime class, must not become the warm-up's.
     */
    public static ModuleVersion ownerOf(Class<?> type) {
        ClassLoader cl = type.getClassLoader();
        return cl == null || cl == RUNTIME ? null : OWNERS.get(cl);
    }
}
