package hotcode.runtime.api;

import java.util.concurrent.ConcurrentHashMap;

/**
 * An Erlang atom: an interned name. Two atoms with the same name are the same object, so {@code ==} compares them.
 * Atoms belong to the runtime bundle, so they pass between module versions unchanged. As in Erlang, an atom has at
 * most 255 characters, and atoms are never freed: make them from a fixed set of names, not from arbitrary input.
 */
public final class Atom implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final ConcurrentHashMap<String, Atom> TABLE = new ConcurrentHashMap<>();
    /** Erlang's limit on an atom's length, in characters. */
    private static final int MAX_LENGTH = 255;

    private final String name;

    private Atom(String name) {
        this.name = name;
    }

    /**
     * The atom named {@code name}; the same object for every call with an equal name.
     *
     * @throws IllegalArgumentException if {@code name} is null or longer than 255 characters (Unicode code points,
     *         as Erlang counts them)
     */
    public static Atom of(String name) {
        if (name == null) {
            throw new IllegalArgumentException("an atom needs a name, got null");
        }
        Atom atom = TABLE.get(name);
        if (atom != null) {
            return atom;
        }
        // checked only when the atom is new, so looking up an existing one costs nothing more
        if (name.length() > MAX_LENGTH) {
            int n = name.codePointCount(0, name.length());
            if (n > MAX_LENGTH) {
                throw new IllegalArgumentException("an atom of " + n + " characters (" + name.substring(0,
                        name.offsetByCodePoints(0, 20)) + "…): atoms have at most " + MAX_LENGTH + ", as in Erlang");
            }
        }
        return TABLE.computeIfAbsent(name, Atom::new);
    }

    public String name() {
        return name;
    }

    /** Keeps atoms unique when deserialized. */
    private Object readResolve() {
        return of(name);
    }

    @Override
    public String toString() {
        return name;
    }
}
