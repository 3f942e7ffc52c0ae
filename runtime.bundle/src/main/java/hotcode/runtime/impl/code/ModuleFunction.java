package hotcode.runtime.impl.code;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * One exported function of one module version: a public static method, identified by name and arity, with an
 * invoker that takes its arguments as an array (so the router needs no reflection per call).
 */
public final class ModuleFunction {
    private final String name;
    private final Method method;
    private final Class<?>[] argumentTypes;
    private final MethodHandle invoker;

    ModuleFunction(Method method) throws IllegalAccessException {
        this.name = method.getName();
        this.method = method;
        Class<?>[] params = method.getParameterTypes();
        this.argumentTypes = new Class<?>[params.length];
        for (int i = 0; i < params.length; i++) {
            argumentTypes[i] = MethodType.methodType(params[i]).wrap().returnType();
        }
        this.invoker = MethodHandles.publicLookup().unreflect(method)
                .asType(MethodType.genericMethodType(params.length))
                .asSpreader(Object[].class, params.length);
    }

    public String name() {
        return name;
    }

    public int arity() {
        return argumentTypes.length;
    }

    /** Whether the function can be a process step: it returns {@link Next}. */
    public boolean returnsNext() {
        return method.getReturnType() == Next.class;
    }

    public Class<?>[] parameterTypes() {
        return method.getParameterTypes();
    }

    /** The function's {@link hotcode.runtime.api.Description}, or null. */
    public String description() {
        hotcode.runtime.api.Description d = method.getAnnotation(hotcode.runtime.api.Description.class);
        return d == null ? null : d.value();
    }

    /** Each parameter's {@link hotcode.runtime.api.Description}, null where it has none. */
    public java.util.List<String> parameterDescriptions() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (java.lang.annotation.Annotation[] as : method.getParameterAnnotations()) {
            String d = null;
            for (java.lang.annotation.Annotation a : as) {
                if (a instanceof hotcode.runtime.api.Description desc) {
                    d = desc.value();
                }
            }
            out.add(d);
        }
        return out;
    }

    public String signature() {
        return method.toGenericString();
    }

    /**
     * Calls the function. The invoker casts the arguments itself; only when that fails is each argument checked, so
     * that a mismatch gets an error naming the function and the argument instead of a bare ClassCastException
     * (and a ClassCastException thrown by the function's own code passes unchanged).
     */
    public Object invoke(ModuleVersion v, Object[] args) throws Throwable {
        try {
            return invoker.invokeExact(args);
        } catch (ClassCastException | NullPointerException e) {
            checkArguments(v, args);
            throw e;
        }
    }

    private void checkArguments(ModuleVersion v, Object[] args) {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null ? method.getParameterTypes()[i].isPrimitive() : !argumentTypes[i].isInstance(a)) {
                throw new HotcodeException("badarg: " + v.module() + ":" + name + "/" + args.length + " in " + v.label()
                        + " takes " + method.getParameterTypes()[i].getName() + " as argument " + (i + 1) + ", got "
                        + (a == null ? "null" : a.getClass().getName() + " " + a));
            }
        }
    }
}
