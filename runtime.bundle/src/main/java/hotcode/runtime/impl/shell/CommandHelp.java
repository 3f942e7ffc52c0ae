package hotcode.runtime.impl.shell;

import org.apache.felix.service.command.Function;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The object a module command is registered as, so that Gogo's {@code help} can describe it.
 *
 * <p>Gogo runs a command service that is a {@link Function} through {@code execute}, but its {@code help} (gogo.command
 * and gogo.jline alike) describes a command by reflecting on the service object's class: the public methods named as
 * the command, their {@code @Descriptor} and their parameters. A module's commands are known only when the module is
 * loaded, so the class is made then: {@link #define} writes a small class (a hidden class of this package, collected
 * with the module's registrations) extending {@code CommandHelp}, with one method per command function and arity,
 * carrying the module's {@link hotcode.runtime.api.Description}s as Gogo's {@code @Descriptor}. Those methods only
 * describe: they are never called, because Gogo calls {@link #execute}, which runs the command as a qualified call.
 */
public abstract class CommandHelp implements Function {
    private Function command;

    protected CommandHelp() {
    }

    @Override
    public Object execute(org.apache.felix.service.command.CommandSession session, List<Object> arguments)
            throws Exception {
        return command.execute(session, arguments);
    }

    /** One method to describe: a command function of one arity. */
    record Signature(String name, List<Class<?>> parameters, String description, List<String> parameterDescriptions) {
    }

    /** A command object that runs {@code command} and describes {@code described} to {@code help}. */
    static Function of(Function command, Class<? extends CommandHelp> described) {
        try {
            CommandHelp h = described.getDeclaredConstructor().newInstance();
            h.command = command;
            return h;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make the help object of a module command: " + e, e);
        }
    }

    /** A class whose public methods describe {@code signatures} to Gogo's help. */
    static Class<? extends CommandHelp> define(List<Signature> signatures) {
        try {
            byte[] bytes = new ClassWriter().write(signatures);
            return MethodHandles.lookup().defineHiddenClass(bytes, false).lookupClass().asSubclass(CommandHelp.class);
        } catch (IllegalAccessException | IOException e) {
            throw new IllegalStateException("cannot define the help class of module commands: " + e, e);
        }
    }

    /**
     * The parameter type shown for a module function's parameter: java.lang's own types as they are; any other type is
     * {@code Object}, so the generated class refers to no class of the module (whose loader it cannot see).
     */
    static Class<?> shown(Class<?> type) {
        return type.isPrimitive() || type.getName().startsWith("java.lang.") && type.getClassLoader() == null
                && !type.isArray() ? type : Object.class;
    }

    /**
     * Writes the class file (Java 21's format, as the runtime is built with {@code --release 21}, where the JDK's own
     * class-file API is not yet public). Each described method is {@code public Object name(params) { return null; }}
     * with a {@code RuntimeVisibleAnnotations} and {@code RuntimeVisibleParameterAnnotations} attribute.
     */
    private static final class ClassWriter {
        private static final String DESCRIPTOR = "Lorg/apache/felix/service/command/Descriptor;";
        private final ByteArrayOutputStream poolBytes = new ByteArrayOutputStream();
        private final DataOutputStream pool = new DataOutputStream(poolBytes);
        private final Map<String, Integer> utf8 = new HashMap<>();
        private int count = 1;

        private int utf8(String s) throws IOException {
            Integer i = utf8.get(s);
            if (i == null) {
                pool.writeByte(1);
                pool.writeUTF(s);
                i = count++;
                utf8.put(s, i);
            }
            return i;
        }

        private int classRef(String internalName) throws IOException {
            int name = utf8(internalName);
            pool.writeByte(7);
            pool.writeShort(name);
            return count++;
        }

        private int methodRef(int owner, String name, String descriptor) throws IOException {
            int n = utf8(name);
            int d = utf8(descriptor);
            pool.writeByte(12); // NameAndType
            pool.writeShort(n);
            pool.writeShort(d);
            int nameAndType = count++;
            pool.writeByte(10); // Methodref
            pool.writeShort(owner);
            pool.writeShort(nameAndType);
            return count++;
        }

        byte[] write(List<Signature> signatures) throws IOException {
            String self = CommandHelp.class.getName().replace('.', '/') + "$Described";
            int thisClass = classRef(self);
            int superClass = classRef(CommandHelp.class.getName().replace('.', '/'));
            int superInit = methodRef(superClass, "<init>", "()V");
            int code = utf8("Code");
            int init = utf8("<init>");
            int voidDescriptor = utf8("()V");
            ByteArrayOutputStream methodBytes = new ByteArrayOutputStream();
            DataOutputStream methods = new DataOutputStream(methodBytes);

            // public <init>() { super(); }
            methods.writeShort(0x0001);
            methods.writeShort(init);
            methods.writeShort(voidDescriptor);
            methods.writeShort(1);
            methods.writeShort(code);
            methods.writeInt(12 + 5);
            methods.writeShort(1); // max stack
            methods.writeShort(1); // max locals
            methods.writeInt(5);
            methods.writeByte(0x2a); // aload_0
            methods.writeByte(0xb7); // invokespecial
            methods.writeShort(superInit);
            methods.writeByte(0xb1); // return
            methods.writeShort(0); // exception table
            methods.writeShort(0); // attributes

            for (Signature s : signatures) {
                StringBuilder d = new StringBuilder("(");
                int locals = 1;
                for (Class<?> p : s.parameters()) {
                    d.append(p.descriptorString());
                    locals += p == long.class || p == double.class ? 2 : 1;
                }
                d.append(")Ljava/lang/Object;");
                List<byte[]> attributes = new ArrayList<>();
                // Code: return null
                ByteArrayOutputStream c = new ByteArrayOutputStream();
                DataOutputStream cd = new DataOutputStream(c);
                cd.writeShort(code);
                cd.writeInt(12 + 2);
                cd.writeShort(1);
                cd.writeShort(locals);
                cd.writeInt(2);
                cd.writeByte(0x01); // aconst_null
                cd.writeByte(0xb0); // areturn
                cd.writeShort(0);
                cd.writeShort(0);
                attributes.add(c.toByteArray());
                if (s.description() != null) {
                    ByteArrayOutputStream a = new ByteArrayOutputStream();
                    DataOutputStream ad = new DataOutputStream(a);
                    ad.writeShort(utf8("RuntimeVisibleAnnotations"));
                    ad.writeInt(2 + 9);
                    ad.writeShort(1);
                    descriptor(ad, s.description());
                    attributes.add(a.toByteArray());
                }
                if (s.parameterDescriptions().stream().anyMatch(p -> p != null)) {
                    ByteArrayOutputStream a = new ByteArrayOutputStream();
                    DataOutputStream ad = new DataOutputStream(a);
                    ad.writeShort(utf8("RuntimeVisibleParameterAnnotations"));
                    int length = 1;
                    for (String p : s.parameterDescriptions()) {
                        length += p == null ? 2 : 2 + 9;
                    }
                    ad.writeInt(length);
                    ad.writeByte(s.parameters().size());
                    for (String p : s.parameterDescriptions()) {
                        ad.writeShort(p == null ? 0 : 1);
                        if (p != null) {
                            descriptor(ad, p);
                        }
                    }
                    attributes.add(a.toByteArray());
                }
                methods.writeShort(0x0001);
                methods.writeShort(utf8(s.name()));
                methods.writeShort(utf8(d.toString()));
                methods.writeShort(attributes.size());
                for (byte[] a : attributes) {
                    methods.write(a);
                }
            }

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(out);
            o.writeInt(0xCAFEBABE);
            o.writeShort(0);
            o.writeShort(65); // Java 21
            o.writeShort(count);
            o.write(poolBytes.toByteArray());
            o.writeShort(0x0031); // public final super
            o.writeShort(thisClass);
            o.writeShort(superClass);
            o.writeShort(0); // interfaces
            o.writeShort(0); // fields
            o.writeShort(signatures.size() + 1);
            o.write(methodBytes.toByteArray());
            o.writeShort(0); // class attributes
            return out.toByteArray();
        }

        /** {@code @Descriptor(value = text)}: 9 bytes. */
        private void descriptor(DataOutputStream out, String text) throws IOException {
            out.writeShort(utf8(DESCRIPTOR));
            out.writeShort(1);
            out.writeShort(utf8("value"));
            out.writeByte('s');
            out.writeShort(utf8(text));
        }
    }
}
