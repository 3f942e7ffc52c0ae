package hotcode.runtime.impl.server;

import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a migrated state before it is committed: it must hold no object of another version of the module (the
 * version it came from, typically), or the new code would fail on it later with a ClassCastException. The walk goes
 * through records, collections, maps, arrays, {@code Optional}s and tuples; other objects are judged by their class
 * alone (their fields are not walked).
 */
final class StateCheck {
    private static final int MAX_OBJECTS = 100_000;

    private StateCheck() {
    }

    /** A description of the first object of another version of {@code to}'s module in {@code state}, or null. */
    static String staleObject(Object state, ModuleVersion to) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> todo = new ArrayDeque<>(); // {value, path}
        todo.add(new Object[] {state, "state"});
        while (!todo.isEmpty() && seen.size() < MAX_OBJECTS) {
            Object[] item = todo.poll();
            Object v = item[0];
            String path = (String) item[1];
            if (v == null || seen.put(v, Boolean.TRUE) != null) {
                continue;
            }
            Class<?> c = v.getClass();
            ModuleVersion owner = Crossing.ownerOf(c);
            if (owner != null && owner != to && owner.module().equals(to.module())) {
                return path + " is a " + c.getName() + " of " + owner.label();
            }
            if (owner == to && c.getClassLoader() != to.loader()) {
                return path + " is a " + c.getName() + " of " + to.label() + " from before its refresh";
            }
            if (c.isRecord()) {
                StateConversion.Shape sh = StateConversion.shape(c);
                for (int i = 0; i < sh.names().length; i++) {
                    todo.add(new Object[] {StateConversion.component(v, sh, i), path + "." + sh.names()[i]});
                }
            } else if (v instanceof Collection<?> coll) {
                int i = 0;
                for (Object e : coll) {
                    todo.add(new Object[] {e, path + "[" + i++ + "]"});
                }
            } else if (v instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    todo.add(new Object[] {e.getKey(), path + " key " + e.getKey()});
                    todo.add(new Object[] {e.getValue(), path + "[" + e.getKey() + "]"});
                }
            } else if (v instanceof Object[] array) {
                for (int i = 0; i < array.length; i++) {
                    todo.add(new Object[] {array[i], path + "[" + i + "]"});
                }
            } else if (v instanceof Optional<?> o) {
                o.ifPresent(x -> todo.add(new Object[] {x, path + ".get()"}));
            } else if (v instanceof Tuple t) {
                for (int i = 0; i < t.size(); i++) {
                    todo.add(new Object[] {t.get(i), path + "{" + i + "}"});
                }
            }
        }
        return null;
    }
}
