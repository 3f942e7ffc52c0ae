package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The neutral form of a value between nodes: JDK types (String, the boxed numbers, Boolean, Character, BigInteger,
 * byte[], List, Map, Set), the runtime's terms (Atom, Tuple, Pid, Ref) and records of module classes, written as
 * module, version, class and fields. Nothing else is written, and nothing is ever read by Java serialization: a value
 * of another class is refused at the sender ({@link IncompatibleValueException}), a module record whose module
 * version this node has not loaded is refused at the receiver, as a value of another version is refused locally.
 *
 * <p>Lists, maps and sets decode as mutable JDK collections ({@code ArrayList}, {@code LinkedHashMap},
 * {@code HashSet}); the order of a map or set is the sender's iteration order.
 */
final class Codec {
    static final byte NULL = 0, STRING = 1, INT = 2, LONG = 3, DOUBLE = 4, FLOAT = 5, SHORT = 6, BYTE = 7,
            TRUE = 8, FALSE = 9, CHAR = 10, BYTES = 11, LIST = 12, MAP = 13, SET = 14, ATOM = 15, TUPLE = 16,
            PID = 17, REF = 18, RECORD = 19, BIGINT = 20;
    /** Nesting bound: a malformed or hostile frame cannot make the reader recurse without end. */
    private static final int MAX_DEPTH = 100;
    /** Size bound of one collection or array read from a frame (a corrupted length must not allocate gigabytes). */
    private static final int MAX_LENGTH = 64 * 1024 * 1024;

    /** How pids and refs are written and read: the node knows names, incarnations and its own processes. */
    interface Terms {
        void writePid(DataOutput out, Pid pid) throws IOException;

        Pid readPid(DataInput in) throws IOException;

        void writeRef(DataOutput out, Ref ref) throws IOException;

        Ref readRef(DataInput in) throws IOException;

        /** {module, version} of a class of a module version, or null. */
        String[] moduleOf(Class<?> type);

        /** The loader of a module version this node has loaded, or null. */
        ClassLoader loader(String module, String version);
    }

    private final Terms terms;

    Codec(Terms terms) {
        this.terms = terms;
    }

    void write(DataOutput out, Object v) throws IOException {
        write(out, v, 0);
    }

    /**
     * Whether writing {@code v} would run code that is not the JDK's or the runtime's: a record's accessors, the
     * iteration of a collection class of a module, a value of any other class. Such a value is written before the pair's
     * lock is taken ({@code Sessions.sendMessage}), so module code, which may be slow or may itself send to the same
     * member, never runs under the lock that JGroups' reader needs for every acknowledgement. Plain values (JDK types,
     * atoms, tuples, pids, refs and the JDK's collections of them) are written straight into the pair's batch.
     */
    static boolean runsModuleCode(Object v) {
        return runsModuleCode(v, 0);
    }

    private static final ClassLoader RUNTIME_LOADER = Pid.class.getClassLoader();

    private static boolean runsModuleCode(Object v, int depth) {
        if (v == null) {
            return false;
        }
        ClassLoader loader = v.getClass().getClassLoader();
        if (depth > MAX_DEPTH || v instanceof Record || (loader != null && loader != RUNTIME_LOADER)) {
            return true; // (too deep: refused by write, off the lock)
        }
        switch (v) {
            case Tuple t -> {
                for (int i = 0; i < t.size(); i++) {
                    if (runsModuleCode(t.get(i), depth + 1)) {
                        return true;
                    }
                }
            }
            case Iterable<?> c -> {
                for (Object e : c) {
                    if (runsModuleCode(e, depth + 1)) {
                        return true;
                    }
                }
            }
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (runsModuleCode(e.getKey(), depth + 1) || runsModuleCode(e.getValue(), depth + 1)) {
                        return true;
                    }
                }
            }
            default -> {
            }
        }
        return false;
    }

    private void write(DataOutput out, Object v, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IncompatibleValueException("a value nested deeper than " + MAX_DEPTH, "?", "this node",
                    "the cluster's neutral form");
        }
        switch (v) {
            case null -> out.writeByte(NULL);
            case String s -> {
                out.writeByte(STRING);
                byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.writeInt(b.length);
                out.write(b);
            }
            case Integer i -> {
                out.writeByte(INT);
                out.writeInt(i);
            }
            case Long l -> {
                out.writeByte(LONG);
                out.writeLong(l);
            }
            case Double d -> {
                out.writeByte(DOUBLE);
                out.writeDouble(d);
            }
            case Float f -> {
                out.writeByte(FLOAT);
                out.writeFloat(f);
            }
            case Short s -> {
                out.writeByte(SHORT);
                out.writeShort(s);
            }
            case Byte b -> {
                out.writeByte(BYTE);
                out.writeByte(b);
            }
            case Boolean b -> out.writeByte(b ? TRUE : FALSE);
            case Character c -> {
                out.writeByte(CHAR);
                out.writeChar(c);
            }
            case BigInteger b -> {
                out.writeByte(BIGINT);
                byte[] bytes = b.toByteArray();
                out.writeInt(bytes.length);
                out.write(bytes);
            }
            case byte[] bytes -> {
                out.writeByte(BYTES);
                out.writeInt(bytes.length);
                out.write(bytes);
            }
            case Atom a -> {
                out.writeByte(ATOM);
                writeString(out, a.name());
            }
            case Tuple t -> {
                out.writeByte(TUPLE);
                out.writeInt(t.size());
                for (int i = 0; i < t.size(); i++) {
                    write(out, t.get(i), depth + 1);
                }
            }
            case Pid p -> {
                out.writeByte(PID);
                terms.writePid(out, p);
            }
            case Ref r -> {
                out.writeByte(REF);
                terms.writeRef(out, r);
            }
            case List<?> l -> {
                out.writeByte(LIST);
                out.writeInt(l.size());
                for (Object e : l) {
                    write(out, e, depth + 1);
                }
            }
            case Set<?> s -> {
                out.writeByte(SET);
                out.writeInt(s.size());
                for (Object e : s) {
                    write(out, e, depth + 1);
                }
            }
            case Map<?, ?> m -> {
                out.writeByte(MAP);
                out.writeInt(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    write(out, e.getKey(), depth + 1);
                    write(out, e.getValue(), depth + 1);
                }
            }
            case Record r -> writeRecord(out, r, depth);
            default -> throw notNeutral(v.getClass());
        }
    }

    private void writeRecord(DataOutput out, Record r, int depth) throws IOException {
        Class<?> type = r.getClass();
        String[] mv = terms.moduleOf(type);
        if (mv == null) {
            throw notNeutral(type);
        }
        RecordComponent[] cs = type.getRecordComponents();
        out.writeByte(RECORD);
        writeString(out, mv[0]);
        writeString(out, mv[1]);
        writeString(out, type.getName());
        out.writeInt(cs.length);
        for (RecordComponent c : cs) {
            Object value;
            try {
                var accessor = c.getAccessor();
                accessor.setAccessible(true); // a record of a module's package-private class: no JPMS in the framework
                value = accessor.invoke(r);
            } catch (ReflectiveOperationException e) {
                throw new IncompatibleValueException("field " + c.getName() + " of a record", type.getName(),
                        mv[0] + " " + mv[1], "the cluster's neutral form (" + e + ")");
            }
            writeString(out, c.getName());
            write(out, value, depth + 1);
        }
    }

    private static IncompatibleValueException notNeutral(Class<?> type) {
        return new IncompatibleValueException("a value", type.getName(), "this node",
                "another node (only JDK types, Atom, Tuple, Pid, Ref and records of module classes cross nodes; no"
                        + " Java serialization)");
    }

    Object read(DataInput in) throws IOException {
        return read(in, 0);
    }

    private Object read(DataInput in, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("malformed value: nested deeper than " + MAX_DEPTH);
        }
        byte tag = in.readByte();
        switch (tag) {
            case NULL:
                return null;
            case STRING: {
                byte[] b = new byte[length(in)];
                in.readFully(b);
                return new String(b, java.nio.charset.StandardCharsets.UTF_8);
            }
            case INT:
                return in.readInt();
            case LONG:
                return in.readLong();
            case DOUBLE:
                return in.readDouble();
            case FLOAT:
                return in.readFloat();
            case SHORT:
                return in.readShort();
            case BYTE:
                return in.readByte();
            case TRUE:
                return Boolean.TRUE;
            case FALSE:
                return Boolean.FALSE;
            case CHAR:
                return in.readChar();
            case BIGINT: {
                byte[] b = new byte[length(in)];
                in.readFully(b);
                return new BigInteger(b);
            }
            case BYTES: {
                byte[] b = new byte[length(in)];
                in.readFully(b);
                return b;
            }
            case ATOM:
                return Atom.of(in.readUTF());
            case TUPLE: {
                int n = length(in);
                Object[] es = new Object[n];
                for (int i = 0; i < n; i++) {
                    es[i] = read(in, depth + 1);
                }
                return Tuple.of(es);
            }
            case PID:
                return terms.readPid(in);
            case REF:
                return terms.readRef(in);
            case LIST: {
                int n = length(in);
                List<Object> l = new ArrayList<>(Math.min(n, 1024));
                for (int i = 0; i < n; i++) {
                    l.add(read(in, depth + 1));
                }
                return l;
            }
            case SET: {
                int n = length(in);
                Set<Object> s = new HashSet<>();
                for (int i = 0; i < n; i++) {
                    s.add(read(in, depth + 1));
                }
                return s;
            }
            case MAP: {
                int n = length(in);
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    m.put(read(in, depth + 1), read(in, depth + 1));
                }
                return m;
            }
            case RECORD:
                return readRecord(in, depth);
            default:
                throw new IOException("malformed value: unknown tag " + tag);
        }
    }

    private Object readRecord(DataInput in, int depth) throws IOException {
        String module = in.readUTF();
        String version = in.readUTF();
        String className = in.readUTF();
        int n = length(in);
        String[] names = new String[n];
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) {
            names[i] = in.readUTF();
            values[i] = read(in, depth + 1);
        }
        ClassLoader loader = terms.loader(module, version);
        if (loader == null) {
            throw new IncompatibleValueException("a record", className, module + " " + version,
                    "this node (module " + module + " version " + version + " is not loaded here)");
        }
        try {
            Class<?> type = Class.forName(className, false, loader);
            String[] owner = terms.moduleOf(type);
            if (!type.isRecord() || owner == null || !owner[0].equals(module) || !owner[1].equals(version)) {
                // only a record class of exactly that module version is made: never an arbitrary class by name
                throw new IncompatibleValueException("a record", className, module + " " + version,
                        "this node (not a record class of that module version here)");
            }
            RecordComponent[] cs = type.getRecordComponents();
            if (cs.length != n) {
                throw new IncompatibleValueException("a record", className, module + " " + version,
                        "this node (" + cs.length + " fields here, " + n + " sent)");
            }
            Class<?>[] types = new Class<?>[n];
            for (int i = 0; i < n; i++) {
                if (!cs[i].getName().equals(names[i])) {
                    throw new IncompatibleValueException("a record", className, module + " " + version,
                            "this node (field " + i + " is " + cs[i].getName() + " here, " + names[i] + " sent)");
                }
                types[i] = cs[i].getType();
            }
            Constructor<?> c = type.getDeclaredConstructor(types);
            c.setAccessible(true);
            return c.newInstance(values);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            throw new IncompatibleValueException("a record", className, module + " " + version, "this node (" + e + ")");
        }
    }

    private static int length(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_LENGTH) {
            throw new IOException("malformed value: length " + n);
        }
        return n;
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        out.writeUTF(s); // names only (atoms, modules, classes, fields): short
    }
}
