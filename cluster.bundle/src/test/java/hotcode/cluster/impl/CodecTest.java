package hotcode.cluster.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.IncompatibleValueException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** The neutral form: what it writes and reads, what it refuses. */
public class CodecTest extends Nodes {
    /** Terms without pids, refs or modules: the JDK types and atoms and tuples alone. */
    private static final Codec PLAIN = new Codec(new Codec.Terms() {
        public void writePid(DataOutput out, Pid pid) {
            throw new UnsupportedOperationException();
        }

        public Pid readPid(DataInput in) {
            throw new UnsupportedOperationException();
        }

        public void writeRef(DataOutput out, Ref ref) {
            throw new UnsupportedOperationException();
        }

        public Ref readRef(DataInput in) {
            throw new UnsupportedOperationException();
        }

        public String[] moduleOf(Class<?> type) {
            return null;
        }

        public ClassLoader loader(String module, String version) {
            return null;
        }
    });

    private static Object roundTrip(Object v) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PLAIN.write(new DataOutputStream(bytes), v);
        return PLAIN.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    }

    /** A value for which the check below must say that writing it runs code of a module (its accessors). */
    record Order(String item, int count) {
    }

    @Test
    public void onlyValuesWhoseWritingRunsModuleCodeAreWrittenBeforeThePairsLock() {
        // plain values go straight into the pair's batch under its lock; anything that runs a module's code is
        // written before the lock is taken (Sessions.sendMessage), so it can neither stall the reader nor re-enter
        for (Object plain : new Object[] {null, 42, "tea", Atom.of("ok"), new byte[] {1}, BigInteger.TEN,
                Tuple.of(Atom.of("a"), List.of(1, 2), Map.of("k", Set.of(3L)))}) {
            assertEquals(String.valueOf(plain), false, Codec.runsModuleCode(plain));
        }
        Order order = new Order("tea", 2);
        for (Object withRecord : new Object[] {order, Tuple.of(Atom.of("order"), order), List.of(1, order),
                Map.of("k", order), Map.of(order, 1), Set.of(Tuple.of(List.of(order)))}) {
            assertTrue(String.valueOf(withRecord), Codec.runsModuleCode(withRecord));
        }
    }

    @Test
    public void jdkTypesAndTermsRoundTrip() throws IOException {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("k", List.of(1, 2L, 3.5, 4.5f, (short) 5, (byte) 6, 'c', true, false));
        m.put(Atom.of("big"), new BigInteger("123456789012345678901234567890"));
        m.put(7, Set.of("x"));
        Object v = Tuple.of(Atom.of("ok"), "é€😀", m, null, "x".repeat(70_000));
        assertEquals(v, roundTrip(v));
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) roundTrip(new byte[] {1, 2, 3}));
    }

    @Test
    public void aClassWithoutNeutralFormIsRefusedNamingIt() throws IOException {
        try {
            roundTrip(List.of(new java.util.Date()));
            fail("a Date was written");
        } catch (IncompatibleValueException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("java.util.Date"));
        }
    }

    @Test
    public void aMalformedValueIsAnIOExceptionNotAnAllocation() throws IOException {
        byte[] hugeList = {Codec.LIST, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        try {
            PLAIN.read(new DataInputStream(new ByteArrayInputStream(hugeList)));
            fail("read");
        } catch (IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("length"));
        }
        try {
            PLAIN.read(new DataInputStream(new ByteArrayInputStream(new byte[] {42})));
            fail("read");
        } catch (IOException expected) {
            assertTrue(expected.getMessage(), expected.getMessage().contains("unknown tag 42"));
        }
    }

    @Test
    public void aRefComesBackAsItselfAndAForeignRefAsTheSameLocalRefEachTime() throws Exception {
        Node a = node("a"), b = node("b");
        connected(a, b);
        BlockingQueue<Object> onA = queue(), onB = queue();
        Pid pa = a.collector(onA);
        Pid pb = b.collector(onB);
        Ref ref = Ref.make();
        a.kernel.send(b.remote(pb), Tuple.of(ref, ref));
        Tuple t = (Tuple) next(onB);
        assertSame("the same foreign ref maps to one local ref", t.get(0), t.get(1));
        b.kernel.send(a.remote(pa), t.get(0));
        assertEquals("home again: the original ref", ref, next(onA));
    }
}
