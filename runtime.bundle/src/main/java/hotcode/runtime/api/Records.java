package hotcode.runtime.api;

import hotcode.runtime.spi.StateConversion;

import java.util.Map;

/**
 * How one version of a module reads state made by another, for {@link Server#codeChange}. The old version's classes
 * cannot be named by the new one, but their <em>shape</em> can be read: records by component name, enums by constant
 * name, collections element by element. Two ways:
 * <ul>
 * <li>{@link #convert}: builds the new version's record from the old one, component by component of the same name
 *     (recursively through records, enums, lists, sets, maps and {@code Optional}); components the old record lacks
 *     come from {@code added}; components the new one lacks are dropped.</li>
 * <li>{@link #neutral}: the documented neutral form: a record becomes a {@code Map<String, Object>} of its components
 *     in declaration order, an enum constant its {@link Atom}, a collection a {@code List}, {@code Set} or {@code Map}
 *     of neutral values; JDK values and terms stay as they are. A codeChange can read it by hand.</li>
 * </ul>
 * A state that cannot be read (a component with no value, a value of the wrong type, a class neither form knows)
 * fails with a {@link HotcodeException} naming the class and component, which fails the migration cleanly.
 */
public final class Records {
    private Records() {
    }

    /** The new version's {@code type} (a record) built from {@code old} (a record of any version, or its neutral map). */
    public static <R> R convert(Object old, Class<R> type) {
        return StateConversion.convert(old, type, Map.of());
    }

    /** {@link #convert(Object, Class)}, with values for components that {@code old} does not have. */
    public static <R> R convert(Object old, Class<R> type, Map<String, ?> added) {
        return StateConversion.convert(old, type, added);
    }

    /** The neutral form of {@code value} (see the class comment). */
    public static Object neutral(Object value) {
        return StateConversion.neutral(value);
    }

    /** A record's components in neutral form, in declaration order; fails naming the class if it is not a record. */
    public static Map<String, Object> fields(Object record) {
        return StateConversion.fields(record);
    }
}
