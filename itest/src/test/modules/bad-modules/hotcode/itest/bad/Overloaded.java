package hotcode.itest.bad;

/** A module class with two functions of one name and arity: Erlang knows a function by both, so it is refused. */
public final class Overloaded {
    private Overloaded() {
    }

    public static String f(String s) {
        return s;
    }

    public static String f(Object o) {
        return String.valueOf(o);
    }
}
