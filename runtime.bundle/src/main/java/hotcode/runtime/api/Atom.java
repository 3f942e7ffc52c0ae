package hotcode.runtime.api;

import java.util.concurrent.ConcurrentHashMap;

/**
 * An Erlang atom: an interned name. Two atoms with the same name are the same object, so {@code ==} compares them.
 * Atoms belong to the runtime bundle, so they pass between module versions unchanged.
 */
public final class Atom implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final ConcurrentHashMap<String, Atom> TABLE = new ConcurrentHashMap<>();

    private final String name;

    private Atom(String name) {
        this.name = name;
    }

    /** The atom named {@code name}; the same object for every call with an equal name. */
    public static Atom of(String name) {
        if (name == null) {
            throw new IllegalArgumentException("an atom needs a name, got null");
        }
        Atom atom = TABLE.get(name);
        return atom != null ? atom : TABLE.computeIfAbsent(name, Atom::new);
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
