package hotcode.runtime.api;

import hotcode.runtime.spi.Access;

/** {@link Next#call}: resolved through the router when the trampoline runs it. */
record QualifiedCall(String module, String function, Object[] args) implements Next {
    @Override
    public Next run() {
        return Access.get().tailCall(this, module, function, args);
    }

    @Override
    public String toString() {
        return module + ":" + function + "/" + args.length;
    }
}
