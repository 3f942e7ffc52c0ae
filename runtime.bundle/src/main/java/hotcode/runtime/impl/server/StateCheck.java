package hotcode.runtime.impl.server;

import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.spi.StateConversion;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a migrated state before it is committed: it must hold no object of another version of the module (the
 * version it came from, typically), or the new code would fail on it later with a ClassCastException. The walk goes
 * through records, collections, maps, arrays, {@code Optional}s and tuples; other objects are judged by their class
 * alone (their fields are not walked). It runs once per server per upgrade, so it builds no strings unless it finds
 * something: the path to the offending object is rebuilt from parent links.
 */
final class StateCheck {
    private static final int MAX_OBJECTS = 100_000;

    /** A value to look at, how it was reached (its parent and the step from there, for the error only). */
    private record Item(Object value, Item parent, Object step) {
        String path() {
            return parent == null ? "state" : parent.path() + step;
        }
    }

    private StateCheck() {
    }

    /** A description of the first object of another version of {@code to}'s module in {@code state}, or null. */
    static String staleObject(Object state, ModuleVersion to) {
        if (StateConversion.isPlain(state)) {
            return null; // the common small cases: a number, a string, a term
        }
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Item> todo = new ArrayDeque<>();
        todo.add(new Item(state, null, null));
        while (!todo.isEmpty() && seen.size() < MAX_OBJECTS) {
            Item item = todo.poll();
            Object v = item.value;
            if (StateConversion.isPlain(v) || seen.put(v, Boolean.TRUE) != null) {
                continue;
            }
            Class<?> c = v.getClass();
            ModuleVersion owner = Crossing.ownerOf(c);
            if (owner != null && owner != to && owner.module().equals(to.module())) {
                return item.path() + " is a " + c.getName() + " of " + owner.label();
            }
            if (owner == to && c.getClassLoader() != to.loader()) {
                return item.path() + " is a " + c.getName() + " of " + to.label() + " from before its refresh";
            }
            if (c.isRecord()) {
                StateConversion.Shape sh = StateConversion.shape(c);
                for (int i = 0; i < sh.names().length; i++) {
                    todo.add(new Item(StateConversion.component(v, sh, i), item, "." + sh.names()[i]));
                }
            } else if (v instanceof Collection<?> coll) {
                int i = 0;
                for (Object e : coll) {
                    todo.add(new Item(e, item, new Index(i++)));
                }
            } else if (v instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    todo.add(new Item(e.getKey(), item, " key"));
                    todo.add(new Item(e.getValue(), item, new Index(e.getKey())));
                }
            } else if (v instanceof Object[] array) {
                for (int i = 0; i < array.length; i++) {
                    todo.add(new Item(array[i], item, new Index(i)));
                }
            } else if (v instanceof Optional<?> o) {
                o.ifPresent(x -> todo.add(new Item(x, item, ".get()")));
            } else if (v instanceof Tuple t) {
                for (int i = 0; i < t.size(); i++) {
                    todo.add(new Item(t.get(i), item, new Index("{" + i + "}")));
                }
            }
        }
        return null;
    }

    /** A step written [key]. */
    private record Index(Object key) {
        @Override
        public String toString() {
            return key instanceof String s && s.startsWith("{") ? s : "[" + key + "]";
        }
    }
}
