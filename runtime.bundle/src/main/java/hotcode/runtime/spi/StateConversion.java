package hotcode.runtime.spi;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Tuple;

import java.lang.invoke.WrongMethodTypeException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@link hotcode.runtime.api.Records}: reads state by shape. Records by component name, enums by constant name,
 * collections element by element (using the target's generic element types), numbers widened; nothing else is
 * guessed, and every failure names the class and the component path.
 *
 * <p>Here rather than in the implementation because both sides use it and it needs no running runtime: the API's
 * {@code Records} (which works on any thread, runtime or not) and the upgrade's state check (which walks states with
 * {@link #shape}, {@link #isPlain} and {@link #component}).
 */
public final class StateConversion {
    /**
     * A record class's components, accessors and canonical constructor, looked up once per class. A ClassValue is
     * held by the class itself, so a module revision's entries go with its classes: nothing outlives a purge.
     */
    public record Shape(RecordComponent[] components, String[] names, java.lang.invoke.MethodHandle[] accessors,
                 java.lang.invoke.MethodHandle constructor, Class<?>[] types) {
    }

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            RecordComponent[] rcs = type.getRecordComponents();
            String[] names = new String[rcs.length];
            java.lang.invoke.MethodHandle[] accessors = new java.lang.invoke.MethodHandle[rcs.length];
            Class<?>[] types = new Class<?>[rcs.length];
            try {
                for (int i = 0; i < rcs.length; i++) {
                    names[i] = rcs[i].getName();
                    types[i] = rcs[i].getType();
                    var m = rcs[i].getAccessor();
                    m.setAccessible(true); // records of module bundles may be private; bundles are in unnamed modules
                    accessors[i] = java.lang.invoke.MethodHandles.lookup().unreflect(m)
                            .asType(java.lang.invoke.MethodType.methodType(Object.class, Object.class));
                }
                Constructor<?> c = type.getDeclaredConstructor(types);
                c.setAccessible(true);
                var ctor = java.lang.invoke.MethodHandles.lookup().unreflectConstructor(c)
                        .asSpreader(Object[].class, rcs.length)
                        .asType(java.lang.invoke.MethodType.methodType(Object.class, Object[].class));
                return new Shape(rcs, names, accessors, ctor, types);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new HotcodeException("cannot read the shape of record " + type.getName() + ": " + e, e);
            }
        }
    };

    private StateConversion() {
    }

    public static Shape shape(Class<?> recordType) {
        return SHAPES.get(recordType);
    }

    // ------------------------------------------------------------------ API

    public static <R> R convert(Object old, Class<R> type, Map<String, ?> added) {
        if (old == null) {
            throw new HotcodeException("Records.convert: the old state is null; there is nothing to build a "
                    + type.getName() + " from");
        }
        if (!type.isRecord()) {
            throw new HotcodeException("Records.convert: " + type.getName() + " is not a record; convert to a record type");
        }
        return type.cast(toRecord(old, type, added == null ? Map.of() : added, type.getSimpleName()));
    }

    public static Object neutral(Object v) {
        if (isPlain(v)) {
            return v;
        }
        Class<?> c = v.getClass();
        if (c.isRecord()) {
            return fields(v);
        }
        if (v instanceof Enum<?> e) {
            return Atom.of(e.name());
        }
        if (v instanceof Tuple t) {
            Object[] es = new Object[t.size()];
            for (int i = 0; i < es.length; i++) {
                es[i] = neutral(t.get(i));
            }
            return Tuple.of(es);
        }
        if (v instanceof Set<?> s) {
            Set<Object> out = new LinkedHashSet<>();
            s.forEach(e -> out.add(neutral(e)));
            return out;
        }
        if (v instanceof Collection<?> coll) {
            List<Object> out = new ArrayList<>(coll.size());
            coll.forEach(e -> out.add(neutral(e)));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(neutral(k), neutral(x)));
            return out;
        }
        if (v instanceof Object[] a) {
            List<Object> out = new ArrayList<>(a.length);
            for (Object e : a) {
                out.add(neutral(e));
            }
            return out;
        }
        if (v instanceof Optional<?> o) {
            return o.map(StateConversion::neutral);
        }
        return v; // JDK values (time, UUID, BigDecimal, primitive arrays...) and non-module classes pass as they are
    }

    /** Values that are the same in every version and hold nothing to convert or check: JDK scalars and terms. */
    public static boolean isPlain(Object v) {
        return v == null || v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof Character
                || v instanceof Atom || v instanceof hotcode.runtime.api.Pid || v instanceof hotcode.runtime.api.Ref;
    }

    public static Map<String, Object> fields(Object record) {
        if (record == null || !record.getClass().isRecord()) {
            throw new HotcodeException("Records.fields: " + (record == null ? "null" : record.getClass().getName())
                    + " is not a record");
        }
        Shape sh = shape(record.getClass());
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < sh.names.length; i++) {
            out.put(sh.names[i], neutral(component(record, sh, i)));
        }
        return out;
    }

    public static Object component(Object record, Shape sh, int i) {
        try {
            return sh.accessors[i].invokeExact(record);
        } catch (Throwable e) {
            throw new HotcodeException("cannot read component " + sh.names[i] + " of " + record.getClass().getName()
                    + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ internals

    private static Object toRecord(Object old, Class<?> type, Map<String, ?> added, String path) {
        Map<String, Object> from;
        if (old.getClass().isRecord()) {
            Shape sh = shape(old.getClass());
            from = new java.util.HashMap<>(sh.names.length * 2);
            for (int i = 0; i < sh.names.length; i++) {
                from.put(sh.names[i], component(old, sh, i));
            }
        } else if (old instanceof Map<?, ?> m) {
            from = new LinkedHashMap<>();
            m.forEach((k, v) -> from.put(String.valueOf(k instanceof Atom a ? a.name() : k), v));
        } else {
            throw new HotcodeException("Records.convert: cannot build " + type.getName() + " (at " + path + ") from a "
                    + old.getClass().getName() + ": expected a record or a map of its components");
        }
        Shape target = shape(type);
        RecordComponent[] rcs = target.components;
        Object[] values = new Object[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            RecordComponent rc = rcs[i];
            String at = path + "." + rc.getName();
            Object v;
            if (from.containsKey(rc.getName())) {
                v = to(from.get(rc.getName()), rc.getGenericType(), at);
            } else if (added.containsKey(rc.getName())) {
                v = to(added.get(rc.getName()), rc.getGenericType(), at);
            } else {
                throw new HotcodeException("Records.convert: " + at + " (" + rc.getGenericType().getTypeName()
                        + ") has no value: " + old.getClass().getName() + " has no component " + rc.getName()
                        + "; pass it in Records.convert(old, " + type.getSimpleName() + ".class, Map.of(\""
                        + rc.getName() + "\", ...))");
            }
            if (v == null && rc.getType().isPrimitive()) {
                throw new HotcodeException("Records.convert: " + at + " is a " + rc.getType() + " and cannot be null");
            }
            values[i] = v;
        }
        try {
            return target.constructor.invokeExact(values);
        } catch (ClassCastException | WrongMethodTypeException e) {
            throw new HotcodeException("Records.convert: cannot construct " + type.getName() + " at " + path + ": " + e, e);
        } catch (Throwable e) {
            throw new HotcodeException("Records.convert: the constructor of " + type.getName() + " refused the values at "
                    + path + ": " + e, e);
        }
    }

    private static Object to(Object v, Type target, String path) {
        if (v == null) {
            return null;
        }
        Class<?> raw = raw(target);
        Class<?> boxed = box(raw);
        if (raw.isRecord()) {
            return raw.isInstance(v) ? v : toRecord(v, raw, Map.of(), path);
        }
        if (raw.isEnum()) {
            if (raw.isInstance(v)) {
                return v;
            }
            String name = v instanceof Enum<?> e ? e.name() : v instanceof Atom a ? a.name() : v instanceof String s ? s : null;
            if (name != null) {
                for (Object c : raw.getEnumConstants()) {
                    if (((Enum<?>) c).name().equals(name)) {
                        return c;
                    }
                }
                throw new HotcodeException("Records.convert: " + path + ": " + raw.getName() + " has no constant " + name);
            }
        }
        if (v instanceof Number n && Number.class.isAssignableFrom(boxed) && !boxed.isInstance(v)) {
            return number(n, boxed, path);
        }
        if (Collection.class.isAssignableFrom(raw) && v instanceof Collection<?> coll) {
            Type element = argument(target, 0);
            Collection<Object> out = SortedSet.class.isAssignableFrom(raw) ? new TreeSet<>()
                    : Set.class.isAssignableFrom(raw) ? new LinkedHashSet<>() : new ArrayList<>(coll.size());
            int i = 0;
            for (Object e : coll) {
                out.add(to(e, element, path + "[" + i++ + "]"));
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw) && v instanceof Map<?, ?> m) {
            Type kt = argument(target, 0);
            Type vt = argument(target, 1);
            Map<Object, Object> out = SortedMap.class.isAssignableFrom(raw) ? new TreeMap<>() : new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(to(k, kt, path + " key"), to(x, vt, path + "[" + k + "]")));
            return out;
        }
        if (raw == Optional.class && v instanceof Optional<?> o) {
            Type element = argument(target, 0);
            return o.map(x -> to(x, element, path + ".get()"));
        }
        if (boxed.isInstance(v)) {
            return v; // e.g. a component declared as Object: kept as it is; the state check finds old objects in it
        }
        throw new HotcodeException("Records.convert: " + path + " is a " + target.getTypeName() + ", but the old state has a "
                + v.getClass().getName() + " (" + v + ")");
    }

    private static Object number(Number n, Class<?> boxed, String path) {
        if (boxed == Long.class && (n instanceof Integer || n instanceof Short || n instanceof Byte)) {
            return n.longValue();
        }
        if (boxed == Double.class && !(n instanceof java.math.BigDecimal)) {
            return n.doubleValue();
        }
        if (boxed == Integer.class && (n instanceof Short || n instanceof Byte)) {
            return n.intValue();
        }
        if (boxed == java.math.BigInteger.class && (n instanceof Integer || n instanceof Long)) {
            return java.math.BigInteger.valueOf(n.longValue());
        }
        throw new HotcodeException("Records.convert: " + path + " is a " + boxed.getSimpleName() + ", but the old state has the "
                + n.getClass().getSimpleName() + " " + n + " (only widening conversions are made)");
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class; // type variables and wildcards: anything goes
    }

    private static Type argument(Type t, int i) {
        return t instanceof ParameterizedType p && p.getActualTypeArguments().length > i ? p.getActualTypeArguments()[i] : Object.class;
    }

    private static Class<?> box(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        return java.lang.invoke.MethodType.methodType(c).wrap().returnType();
    }
}
