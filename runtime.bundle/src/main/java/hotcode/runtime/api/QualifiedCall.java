package hotcode.runtime.api;

import hotcode.runtime.impl.Kernel;

/** {@link Next#call}: resolved through the router when the trampoline runs it. */
record QualifiedCall(String module, String function, Object[] args) implements Next {
    @Override
    public Next run() {
        return Kernel.get().router().tailCall(this, module, function, args);
    }

    @Override
    public String toString() {
        return module + ":" + function + "/" + args.length;
    }
}
