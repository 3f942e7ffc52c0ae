package hotcode.runtime.api;

/**
 * Erlang's {@code undef}: a qualified call named a module with no current version, or a function the current version
 * does not export with that arity. Raised in the caller.
 */
public final class UndefException extends HotcodeException {
    private static final long serialVersionUID = 1L;
    private final String module;
    private final String function;
    private final int arity;

    public UndefException(String module, String function, int arity, String why) {
        super("undef: " + module + ":" + function + "/" + arity + " (" + why + ")");
        this.module = module;
        this.function = function;
        this.arity = arity;
    }

    public String module() {
        return module;
    }

    public String function() {
        return function;
    }

    public int arity() {
        return arity;
    }
}
