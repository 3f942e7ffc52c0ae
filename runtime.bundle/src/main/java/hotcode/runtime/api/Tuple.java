package hotcode.runtime.api;

import java.util.Arrays;

/**
 * An immutable fixed-size tuple, Erlang's {@code {A, B, ...}}. Equality is element-wise.
 * A tuple belongs to the runtime bundle; whether it can cross module versions depends on its elements.
 */
public final class Tuple {
    private final Object[] elements;

    private Tuple(Object[] elements) {
        this.elements = elements;
    }

    public static Tuple of(Object... elements) {
        return new Tuple(elements.clone());
    }

    public int size() {
        return elements.length;
    }

    /** The element at {@code index}, counting from 0. */
    public Object get(int index) {
        if (index < 0 || index >= elements.length) {
            throw new IndexOutOfBoundsException("element " + index + " of a tuple of size " + elements.length + ": " + this);
        }
        return elements[index];
    }

    /** The element at {@code index}, cast to {@code type}, with an error naming the tuple when it is not one. */
    public <T> T get(int index, Class<T> type) {
        Object e = get(index);
        if (!type.isInstance(e)) {
            throw new ClassCastException("element " + index + " of " + this + " is "
                    + (e == null ? "null" : e.getClass().getName()) + ", not " + type.getName());
        }
        return type.cast(e);
    }

    /** True when this tuple has {@code size} elements and the first is {@code tag}: Erlang's {@code {tag, ...}}. */
    public boolean isTagged(Atom tag, int size) {
        return elements.length == size && size > 0 && elements[0] == tag;
    }

    Object[] elements() {
        return elements;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tuple t && Arrays.equals(elements, t.elements);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(elements);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < elements.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(Terms.format(elements[i]));
        }
        return sb.append('}').toString();
    }
}
