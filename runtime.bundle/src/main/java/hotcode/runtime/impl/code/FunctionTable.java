package hotcode.runtime.impl.code;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

/** A module version's exported functions: the entry class's public static methods, by name and arity. */
final class FunctionTable {
    private final Map<String, ModuleFunction[]> byName;

    private FunctionTable(Map<String, ModuleFunction[]> byName) {
        this.byName = byName;
    }

    /** Builds the table; a non-public class or two methods with the same name and arity are refused, named. */
    static FunctionTable of(Class<?> entry, String owner) {
        if (!Modifier.isPublic(entry.getModifiers())) {
            throw new BadModuleException(owner + ": module class " + entry.getName() + " must be public");
        }
        Map<String, ModuleFunction[]> byName = new HashMap<>();
        for (Method m : entry.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class || m.isSynthetic()) {
                continue;
            }
            int arity = m.getParameterCount();
            ModuleFunction[] fs = byName.get(m.getName());
            if (fs == null || fs.length <= arity) {
                ModuleFunction[] grown = new ModuleFunction[arity + 1];
                if (fs != null) {
                    System.arraycopy(fs, 0, grown, 0, fs.length);
                }
                fs = grown;
                byName.put(m.getName(), fs);
            }
            if (fs[arity] != null) {
                throw new BadModuleException(owner + ": functions are identified by name and arity, and "
                        + entry.getName() + " has two " + m.getName() + "/" + arity + ": " + fs[arity].signature()
                        + " and " + m.toGenericString());
            }
            try {
                fs[arity] = new ModuleFunction(m);
            } catch (IllegalAccessException e) {
                throw new BadModuleException(owner + ": cannot call " + m.toGenericString() + ": " + e.getMessage(), e);
            }
        }
        return new FunctionTable(byName);
    }

    ModuleFunction find(String name, int arity) {
        ModuleFunction[] fs = byName.get(name);
        return fs != null && arity < fs.length ? fs[arity] : null;
    }

    /** The functions named {@code name}, by arity. */
    java.util.List<ModuleFunction> named(String name) {
        ModuleFunction[] fs = byName.get(name);
        return fs == null ? java.util.List.of()
                : java.util.Arrays.stream(fs).filter(java.util.Objects::nonNull).toList();
    }

    boolean hasName(String name) {
        return byName.containsKey(name);
    }
}
