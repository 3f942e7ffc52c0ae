package hotcode.runtime.impl.code;

import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.UndefException;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rule for values that cross versions: a value whose class was defined by one version of a module may reach
 * only that version; JDK types, the runtime's terms, and classes of non-module bundles pass anywhere. Tuples are
 * checked element by element; other containers are not looked into (documented limitation).
 */
public final class Crossing {
    private static final ClassLoader RUNTIME = Crossing.class.getClassLoader();
    /** Class loader -> the module version it belongs to; kept by the code server ({@link #own}, {@link #disown}). */
    private static final Map<ClassLoader, ModuleVersion> OWNERS = new ConcurrentHashMap<>();
    /** Orders the changes of {@link #OWNERS} with the recount of their module's {@link ModuleVersion#twoLoaders}. */
    private static final Object OWNERS_CHANGE = new Object();
    /**
     * Class loader -> {module, "module version"} of purged versions, weakly: it must not keep a purged revision's
     * classes alive, only name their version while something still holds one of them (a fun, a step).
     */
    private static final Map<ClassLoader, String[]> PURGED = Collections.synchronizedMap(new WeakHashMap<>());
    private static final Object NONE = new Object();
    /**
     * Step class -> its version ({@link ModuleVersion}, whose purged flag is read live), a purged version's names, or
     * {@link #NONE}: computed once per class, so the trampoline pays a map lookup only the first time a class runs. A
     * class first run as a step before its loader was registered (module code run before its load completes, e.g.
     * by an activator) stays {@link #NONE}: its steps are not told apart (see {@link #stepVersion}).
     */
    private static final ClassValue<Object> STEP_OWNERS = new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
            ClassLoader cl = type.getClassLoader();
            if (cl == null || cl == RUNTIME) {
                return NONE;
            }
            ModuleVersion v = OWNERS.get(cl);
            if (v != null) {
                return v;
            }
            String[] purged = PURGED.get(cl);
            return purged != null ? purged : NONE;
        }
    };

    private Crossing() {
    }

    /**
     * Throws {@link IncompatibleValueException} when {@code value} cannot be read by {@code target} (whose current
     * class loader is {@code target.loader()}); {@code what}
     * ("message", "argument") only names the value in the error, so callers pass a constant.
     */
    public static void check(String what, Object value, ModuleVersion target) {
        // While the target's module has one class loader, a value's class is the target's own or another module's:
        // one read instead of a walk of every message (~15 ns of a ring's hop, BENCHMARKS.md "i16-hop").
        if (target.twoLoaders()) {
            checkValue(what, value, target);
        }
    }

    private static void checkValue(String what, Object value, ModuleVersion target) {
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
                    checkValue(what, t.get(i), target);
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

    /**
     * The version whose code a process step (or a spawned fun) of class {@code type} runs, or null for a class
     * outside every module. A step of a purged version is Erlang's {@code undef} for a fun of purged code, naming
     * the module and the version.
     */
    public static ModuleVersion stepVersion(Class<?> type) {
        Object owner = STEP_OWNERS.get(type);
        if (owner instanceof ModuleVersion v) {
            if (v.isPurged()) {
                throw purgedFun(v.module(), v.label(), type);
            }
            return v;
        }
        if (owner instanceof String[] purged) {
            throw purgedFun(purged[0], purged[1], type);
        }
        return null;
    }

    private static UndefException purgedFun(String module, String label, Class<?> type) {
        return new UndefException(module, "fun", 0, "a fun made by " + label + ", which has been purged ("
                + type.getName() + "); make a new one from the current version");
    }

    /** {@code loader}'s classes are {@code v}'s from now on (a new version, or a refresh's new wiring of one). */
    static void own(ClassLoader loader, ModuleVersion v) {
        synchronized (OWNERS_CHANGE) {
            // Set before the put, recounted after: a check that could meet the new loader's values never skips.
            v.twoLoaders(true);
            mark(v.module(), true);
            OWNERS.put(loader, v);
            recount(v.module());
        }
    }

    /** {@code v}, an aborted upgrade's version, never ran: its loader owns nothing. */
    static void disown(ClassLoader loader, ModuleVersion v) {
        synchronized (OWNERS_CHANGE) {
            OWNERS.remove(loader, v);
            recount(v.module());
        }
    }

    /** {@code v} is purged: its loaders no longer own values, but its funs are still recognized (weakly). */
    static void purged(ModuleVersion v) {
        synchronized (OWNERS_CHANGE) {
            OWNERS.entrySet().removeIf(e -> {
                if (e.getValue() != v) {
                    return false;
                }
                PURGED.put(e.getKey(), new String[] {v.module(), v.label()});
                return true;
            });
            recount(v.module());
        }
    }

    /** Tells each version of {@code module} whether the module has two class loaders now (see {@link #check}). */
    private static void recount(String module) {
        int loaders = 0;
        for (ModuleVersion o : OWNERS.values()) {
            if (o.module().equals(module)) {
                loaders++;
            }
        }
        mark(module, loaders >= 2);
    }

    /** Sets {@link ModuleVersion#twoLoaders} of every version of {@code module} that owns a loader. */
    private static void mark(String module, boolean two) {
        for (ModuleVersion o : OWNERS.values()) {
            if (o.module().equals(module)) {
                o.twoLoaders(two);
            }
        }
    }
}
