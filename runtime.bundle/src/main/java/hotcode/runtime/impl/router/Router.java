package hotcode.runtime.impl.router;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.impl.code.ModuleRegistry;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleFunction;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;

/**
 * The versioned call router. A qualified call resolves the module's <em>current</em> version at the moment of the
 * call and records it as a frame on the calling process; a local call is a plain Java call and never comes here, so
 * it stays in the class (and version) it was made from. A qualified <em>tail</em> call replaces the caller's frame
 * instead of pushing one: the process no longer runs the version it left, and its stack does not grow.
 */
public final class Router {
    private final ModuleRegistry code;

    public Router(ModuleRegistry code) {
        this.code = code;
    }

    /** {@code module:function(args)} as an ordinary call: returns its result. */
    public Object call(String module, String function, Object[] args) {
        ModuleVersion v = code.current(module, function, args.length);
        ModuleFunction f = v.function(function, args.length);
        Proc p = Proc.currentOrNull();
        if (p == null) {
            return invoke(v, f, args); // a thread outside every process (the shell, a test): nothing to track
        }
        p.checkExit();
        checkArguments(p, v, args);
        p.pushFrame(v, function);
        try {
            return invoke(v, f, args);
        } finally {
            p.popFrame();
        }
    }

    /** {@code module:function(args)} in tail position: the process continues in the current version. */
    public Next tailCall(Next step, String module, String function, Object[] args) {
        ModuleVersion v = code.current(module, function, args.length);
        ModuleFunction f = processStep(v, function, args.length);
        Proc p = Proc.currentOrNull();
        if (p != null) {
            p.checkExit();
            checkArguments(p, v, args);
            p.replaceTopFrame(v, function, step);
        }
        return (Next) invoke(v, f, args);
    }

    /** The function a spawn or tail call will run, checked now so that the caller gets the error. */
    public ModuleFunction processStep(String module, String function, int arity) {
        return processStep(code.current(module, function, arity), function, arity);
    }

    // ------------------------------------------------------------------ internals

    private static ModuleFunction processStep(ModuleVersion v, String function, int arity) {
        ModuleFunction f = v.function(function, arity);
        if (!f.returnsNext()) {
            throw new HotcodeException(v.module() + ":" + function + "/" + arity + " in " + v.label()
                    + " cannot run as a process step: it must return " + Next.class.getName() + " (it is " + f.signature() + ")");
        }
        return f;
    }

    /**
     * A call within one version passes nothing across versions, unless a refresh re-bound that version to a new
     * class loader since; only the other calls are checked.
     */
    private static void checkArguments(Proc caller, ModuleVersion v, Object[] args) {
        if (caller.topVersion() == v && !v.wasRebound()) {
            return;
        }
        for (Object a : args) {
            Crossing.check("argument", a, v);
        }
    }

    private static Object invoke(ModuleVersion v, ModuleFunction f, Object[] args) {
        try {
            return f.invoke(v, args);
        } catch (Throwable t) {
            throw Router.<RuntimeException>sneaky(t);
        }
    }

    /** Rethrows the callee's exception unchanged: the router adds no wrapper to module errors. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
