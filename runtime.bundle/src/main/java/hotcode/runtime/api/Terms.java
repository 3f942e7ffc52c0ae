package hotcode.runtime.api;

/** Erlang-style rendering and pattern matching of terms, used by {@link Hotcode#receive(Object...)} and the shell. */
public final class Terms {
    /** The wildcard pattern, Erlang's {@code _}: matches any message. */
    public static final Object ANY = new Object() {
        @Override
        public String toString() {
            return "_";
        }
    };

    private Terms() {
    }

    /**
     * Whether {@code value} matches {@code pattern}. A pattern is {@link #ANY}; a {@link Class} (matches its
     * instances); a {@link java.util.function.Predicate}; a {@link Tuple} whose elements are patterns (matches a
     * tuple of the same size element by element); or any other value (matches an equal value).
     */
    @SuppressWarnings("unchecked")
    public static boolean matches(Object pattern, Object value) {
        if (pattern == ANY || pattern == value) {
            return true;
        }
        if (pattern instanceof Class<?> type) {
            return type.isInstance(value);
        }
        if (pattern instanceof java.util.function.Predicate<?> p) {
            return ((java.util.function.Predicate<Object>) p).test(value);
        }
        if (pattern instanceof Tuple pt) {
            if (!(value instanceof Tuple vt) || vt.size() != pt.size()) {
                return false;
            }
            Object[] ps = pt.elements();
            Object[] vs = vt.elements();
            for (int i = 0; i < ps.length; i++) {
                if (!matches(ps[i], vs[i])) {
                    return false;
                }
            }
            return true;
        }
        return pattern != null && pattern.equals(value);
    }

    /** A term as Erlang would print it (strings quoted), for logs and the shell. */
    public static String format(Object term) {
        if (term instanceof String s) {
            return '"' + s + '"';
        }
        return String.valueOf(term);
    }
}
