package hotcode.runtime.impl.shell;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.spi.node.RemotePid;
import org.junit.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The console's term reader: Erlang's syntax, and its limits refused with an error naming them (never a JVM error). */
public class TermParserTest {
    /** No process lives in it: enough for every term but a pid. */
    private final ProcessTable processes = new ProcessTable(null, null);

    private Object parse(String text) {
        return TermParser.parse(text, processes);
    }

    /** Parsing {@code text} fails with a HotcodeException whose message contains each of {@code parts}. */
    private String assertRefused(String text, String... parts) {
        HotcodeException e = assertThrows(HotcodeException.class, () -> parse(text));
        String msg = e.getMessage();
        assertTrue("says the message is malformed: " + msg, msg.startsWith("malformed message"));
        for (String p : parts) {
            assertTrue("mentions \"" + p + "\": " + msg, msg.contains(p));
        }
        return msg;
    }

    private static String nested(int depth, String inner) {
        return "{".repeat(depth) + inner + "}".repeat(depth);
    }

    // ------------------------------------------------------------------ values

    @Test
    public void readsErlangTerms() {
        assertSame(Atom.of("ping"), parse("ping"));
        assertSame(Atom.of("Quoted atom"), parse("'Quoted atom'"));
        assertEquals("text", parse(" \"text\" "));
        assertEquals(Tuple.of(Atom.of("put"), Atom.of("a"), 1L), parse("{put, a, 1}"));
        assertEquals(List.of(1L, -2L, 2.5), parse("[1, -2, 2.5]"));
        assertEquals(List.of(), parse("[]"));
        assertEquals(Tuple.of(), parse("{}"));
        assertEquals(1.5e10, parse("1.5e10"));
        assertEquals(1.5e10, parse("1.5e+10"));
        assertEquals(1.5e-10, parse("1.5E-10"));
    }

    @Test
    public void integersBeyondLongAreBigIntegersAndPrintAsDigits() {
        assertEquals(Long.MAX_VALUE, parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, parse("-9223372036854775808"));
        assertEquals("a value that fits is always a Long, however written", 7L, parse("0000000000000000000000007"));
        assertEquals(new BigInteger("9223372036854775808"), parse("9223372036854775808"));
        assertEquals(new BigInteger("-9223372036854775809"), parse("-9223372036854775809"));
        String huge = "123456789".repeat(100);
        Object t = parse("{seq, " + huge + "}");
        assertEquals(Tuple.of(Atom.of("seq"), new BigInteger(huge)), t);
        assertEquals("{seq, " + huge + "}", Terms.format(t));
        assertEquals(huge, Terms.format(parse(huge)));
    }

    @Test
    public void anIntegerOfTooManyDigitsIsRefusedNamingTheLimit() {
        String ok = "9".repeat(TermParser.MAX_DIGITS);
        assertEquals(new BigInteger(ok), parse(ok));
        assertEquals(new BigInteger("-" + ok), parse("-" + ok));
        assertRefused("[1, " + ok + "9]", "integer of " + (TermParser.MAX_DIGITS + 1) + " digits",
                "at most " + TermParser.MAX_DIGITS, "position 5");
    }

    @Test
    public void nonFiniteFloatsAreRefused() {
        assertRefused("1.0e99999", "1.0e99999", "out of range");
        assertRefused("{x, -1.0e309}", "-1.0e309", "out of range");
        assertEquals(Double.MAX_VALUE, parse("1.7976931348623157e308"));
        assertEquals("a float too small to represent reads as 0.0", 0.0, parse("1.0e-99999"));
    }

    @Test
    public void nestingIsBoundedWithAClearError() {
        Object deepest = parse(nested(TermParser.MAX_DEPTH, "x"));
        for (int i = 0; i < TermParser.MAX_DEPTH; i++) {
            deepest = ((Tuple) deepest).get(0);
        }
        assertSame(Atom.of("x"), deepest);
        assertEquals(List.of(List.of(Tuple.of(List.of()))), parse("[[{[]}]]"));

        assertRefused(nested(TermParser.MAX_DEPTH + 1, "x"), "nested deeper than " + TermParser.MAX_DEPTH,
                "position " + (TermParser.MAX_DEPTH + 1));
        // far deeper than any stack: the same error, no StackOverflowError
        String msg = assertRefused("[".repeat(1_000_000), "nested deeper than " + TermParser.MAX_DEPTH);
        assertTrue("a long message is shortened in the error: " + msg.length() + " characters", msg.length() < 300);
    }

    @Test
    public void atomsAreAtMost255Characters() {
        String longest = "a".repeat(255);
        assertSame(Atom.of(longest), parse(longest));
        assertSame(Atom.of("Q" + longest.substring(1)), parse("'Q" + longest.substring(1) + "'"));
        // Erlang counts characters, not UTF-16 units
        String astral = "\uD83D\uDE00".repeat(255);
        assertEquals(astral, ((Atom) parse("'" + astral + "'")).name());

        assertRefused("{" + longest + "b, 1}", "atom of 256 characters", "at most 255", "position 2");
        assertRefused("['" + longest + "b']", "atom of 256 characters", "at most 255");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Atom.of(longest + "b"));
        assertTrue(e.getMessage(), e.getMessage().contains("at most 255"));
    }

    @Test
    public void longListsAndStringsAreRead() {
        int n = 200_000;
        StringBuilder sb = new StringBuilder("[");
        List<Object> expected = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(i);
            expected.add((long) i);
        }
        assertEquals(expected, parse(sb.append(']').toString()));
        String s = "x".repeat(1_000_000);
        assertEquals(s, parse('"' + s + '"'));
    }

    // ------------------------------------------------------------------ errors

    @Test
    public void malformedTermsNameThePlace() {
        assertRefused("{ping, 1", "'}' expected", "{ping, 1");
        assertRefused("Ping", "\"Ping\" is not an atom");
        assertRefused("1.0e", "\"1.0e\" is not an atom");
        assertRefused("ping pong", "unexpected text after the term", "position 6");
        assertRefused("\"open", "unterminated string");
        HotcodeException e = assertThrows(HotcodeException.class, () -> parse("{ping, <0.999999.0>}"));
        assertTrue(e.getMessage(), e.getMessage().contains("no process <0.999999.0> is alive"));
    }

    // ------------------------------------------------------------------ pids of other nodes

    /** A cluster in which this node is "a" and gave node "b" (incarnation 77) the number 3. */
    private static final hotcode.runtime.spi.node.NodeTransport NODES = (hotcode.runtime.spi.node.NodeTransport)
            java.lang.reflect.Proxy.newProxyInstance(TermParserTest.class.getClassLoader(),
                    new Class<?>[] {hotcode.runtime.spi.node.NodeTransport.class}, (proxy, m, args) -> switch (m.getName()) {
                        case "node" -> "a";
                        case "pid" -> (int) args[0] == 3 ? new RemotePid("b", 77, (long) args[1], 3) : null;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });

    @Test
    public void aPidOfAnotherNodeIsReadAsThatNodesPid() {
        RemotePid expected = new RemotePid("b", 77, 42, 3);
        assertEquals(expected, TermParser.parse("<3.42.0>", processes, NODES));
        Object t = TermParser.parse("{reply, <3.42.0>, [<3.7.0>]}", processes, NODES);
        assertEquals(Tuple.of(Atom.of("reply"), expected, List.of(new RemotePid("b", 77, 7, 3))), t);
        assertEquals("printed as it was written", "{reply, <3.42.0>, [<3.7.0>]}", Terms.format(t));
        assertTrue(TermParser.isPid("<3.42.0>"));
        assertTrue(TermParser.isRemotePid(" <3.42.0> "));
        assertEquals(expected, TermParser.remotePid("<3.42.0>", NODES));
        assertTrue("<0.N.0> is this node's", !TermParser.isRemotePid("<0.42.0>") && TermParser.isPid("<0.42.0>"));
        assertTrue(!TermParser.isRemotePid("<3.42.1>") && !TermParser.isPid("<3.x.0>"));
    }

    @Test
    public void aPidOfAnUnknownNodeOrWithoutAClusterIsAClearError() {
        HotcodeException e = assertThrows(HotcodeException.class, () -> TermParser.parse("{x, <4.1.0>}", processes, NODES));
        assertTrue(e.getMessage(), e.getMessage().contains("<4.1.0>: no node has number 4 on node a"));
        e = assertThrows(HotcodeException.class, () -> parse("{x, <3.1.0>}"));
        assertTrue(e.getMessage(), e.getMessage().contains("<3.1.0> is a pid of node number 3, and this runtime is no"
                + " node of a cluster"));
        e = assertThrows(HotcodeException.class, () -> TermParser.pidNumber("<3.1.0>"));
        assertTrue(e.getMessage(), e.getMessage().contains("<3.1.0> is a pid of another node"));
    }

    @Test
    public void anErrorInALongMessageShowsThePlaceNotTheWholeText() {
        String text = "[" + "1,".repeat(100_000) + "Bad]";
        String msg = assertRefused(text, "\"Bad\" is not an atom", "position " + (text.length() - 3), "Bad]");
        assertTrue("shortened: " + msg.length() + " characters", msg.length() < 300);
    }
}
