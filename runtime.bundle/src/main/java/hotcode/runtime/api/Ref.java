package hotcode.runtime.api;

import java.util.concurrent.atomic.AtomicLong;

/** A unique reference, Erlang's {@code make_ref()}; monitors are identified by one. */
public final class Ref {
    private static final AtomicLong COUNTER = new AtomicLong();
    private final long id;

    private Ref(long id) {
        this.id = id;
    }

    public static Ref make() {
        return new Ref(COUNTER.incrementAndGet());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ref r && r.id == id;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(id);
    }

    @Override
    public String toString() {
        return "#Ref<0." + id + ">";
    }
}
