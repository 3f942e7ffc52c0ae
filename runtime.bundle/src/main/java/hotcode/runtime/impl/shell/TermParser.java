package hotcode.runtime.impl.shell;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.process.ProcessTable;
import hotcode.runtime.spi.node.NodeTransport;
import hotcode.runtime.spi.node.RemotePid;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads a term written the Erlang way, for {@code hotcode:send}, {@code call} and {@code cast}: atoms ({@code ping},
 * {@code 'Quoted'}), integers, floats ({@code 2.5}, {@code 1.0e-3}), strings ({@code "text"}), tuples
 * ({@code {ping, 1}}), lists ({@code [1, 2]}) and pids ({@code <0.42.0>} of this node, {@code <N.42.0>} of the node
 * this node numbered N, as {@code hotcode:nodes} lists them and Erlang prints them). An integer is a {@link Long} when it fits
 * and a {@link BigInteger} when it does not (Erlang's integers have no fixed size); a float is a {@link Double}.
 *
 * <p><b>Limits.</b> A term that breaks one is refused with an error naming the limit and the position, never a JVM
 * error: tuples and lists nest at most {@value #MAX_DEPTH} deep; an integer has at most {@value #MAX_DIGITS} digits
 * (reading takes time quadratic in the digits: a million take seconds); a float is finite (beyond
 * {@code ±1.7976931348623157e308} is refused, as Erlang refuses it; one too small to represent reads as {@code 0.0});
 * an atom has at most 255 characters, Erlang's limit (see {@link Atom#of}). Lists, tuples and strings may be as long
 * as the console line.
 */
final class TermParser {
    /** How deep tuples and lists may nest: the parser, and the printing of the term, recurse once per level. */
    static final int MAX_DEPTH = 100;
    /** The most digits an integer may have: 10,000 take milliseconds to read, a million take seconds. */
    static final int MAX_DIGITS = 10_000;
    /** How much of a long message, and of a long word in it, an error quotes. */
    private static final int QUOTED = 40;
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern FLOAT = Pattern.compile("-?\\d+\\.\\d+([eE][-+]?\\d+)?");
    private static final Pattern ATOM = Pattern.compile("[a-z][A-Za-z0-9_@]*");
    /** {@code <N.id.0>}: N is 0 for this node, else the number this node gave another node. */
    private static final Pattern PID = Pattern.compile("<(\\d{1,9})\\.(\\d{1,18})\\.0>");

    private final String text;
    private final ProcessTable processes;
    /** The cluster's transport, to read pids of other nodes; null on a runtime that is no node of a cluster. */
    private final NodeTransport nodes;
    private int pos;
    /** How many tuples and lists enclose the term being read. */
    private int depth;

    private TermParser(String text, ProcessTable processes, NodeTransport nodes) {
        this.text = text;
        this.processes = processes;
        this.nodes = nodes;
    }

    static Object parse(String text, ProcessTable processes) {
        return parse(text, processes, null);
    }

    /** {@link #parse(String, ProcessTable)}, reading a pid {@code <N.id.0>} of another node through {@code nodes}. */
    static Object parse(String text, ProcessTable processes, NodeTransport nodes) {
        TermParser p = new TermParser(text, processes, nodes);
        Object term = p.term();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the term");
        }
        return term;
    }

    /** A pid written as {@code <0.N.0>} or just {@code N}; a clear error when no such process lives. */
    static hotcode.runtime.api.Pid pid(String text, ProcessTable processes) {
        long n = pidNumber(text);
        hotcode.runtime.api.Pid pid = processes.find(n);
        if (pid == null) {
            throw new HotcodeException("no process <0." + n + ".0> is alive");
        }
        return pid;
    }

    /** Whether {@code text} is written as a pid: {@code <0.N.0>} or {@code N}, or {@code <N.id.0>} of another node. */
    static boolean isPid(String text) {
        return digits(text).matches("\\d{1,18}") || isRemotePid(text);
    }

    /** Whether {@code text} is written as a pid of another node: {@code <N.id.0>} with N not 0. */
    static boolean isRemotePid(String text) {
        java.util.regex.Matcher m = PID.matcher(text.trim());
        return m.matches() && Long.parseLong(m.group(1)) != 0;
    }

    /**
     * The pid {@code <N.id.0>} of the node this node numbered N. Whether that process lives is for its node to say (a
     * send to it is then a dead letter {@code noproc} there); an error names the pid when no node has number N here,
     * or when this runtime is in no cluster ({@code nodes} null).
     */
    static RemotePid remotePid(String text, NodeTransport nodes) {
        java.util.regex.Matcher m = PID.matcher(text.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new HotcodeException("\"" + text + "\" is not a pid of another node: write <N.id.0> with N the"
                    + " node's number in hotcode:nodes");
        }
        int index = Integer.parseInt(m.group(1));
        long id = Long.parseLong(m.group(2));
        if (nodes == null) {
            throw new HotcodeException(text.trim() + " is a pid of node number " + index + ", and this runtime is no"
                    + " node of a cluster (nonode@nohost; the hotcode.cluster bundle is not running or not configured)");
        }
        RemotePid pid = nodes.pid(index, id);
        if (pid == null) {
            throw new HotcodeException(text.trim() + ": no node has number " + index + " on node " + nodes.node()
                    + " (hotcode:nodes lists the numbers)");
        }
        return pid;
    }

    /** The N of a pid written {@code <0.N.0>} or {@code N}. */
    static long pidNumber(String text) {
        String digits = digits(text);
        if (isRemotePid(text)) {
            throw new HotcodeException(text.trim() + " is a pid of another node: this command takes a pid of this node"
                    + " (<0.N.0> or N)");
        }
        if (!digits.matches("\\d{1,18}")) {
            throw new HotcodeException("\"" + text + "\" is not a pid: write <0.N.0> (quoted in Gogo) or N");
        }
        return Long.parseLong(digits);
    }

    private static String digits(String text) {
        String t = text.trim();
        return t.matches("<0\\.\\d+\\.0>") ? t.substring(3, t.length() - 3) : t;
    }

    private Object term() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("a term was expected");
        }
        char c = text.charAt(pos);
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) {
                throw error("tuples and lists nested deeper than " + MAX_DEPTH + " levels");
            }
            pos++;
            depth++;
            List<Object> elements = sequence(c == '{' ? '}' : ']');
            depth--;
            return c == '{' ? hotcode.runtime.api.Tuple.of(elements.toArray()) : List.copyOf(elements);
        }
        if (c == '"') {
            int end = text.indexOf('"', pos + 1);
            if (end < 0) {
                throw error("unterminated string");
            }
            String s = text.substring(pos + 1, end);
            pos = end + 1;
            return s;
        }
        if (c == '\'') {
            int end = text.indexOf('\'', pos + 1);
            if (end < 0) {
                throw error("unterminated quoted atom");
            }
            Object atom = atom(text.substring(pos + 1, end));
            pos = end + 1;
            return atom;
        }
        if (c == '<') {
            int end = text.indexOf('>', pos);
            if (end < 0) {
                throw error("unterminated pid");
            }
            String s = text.substring(pos, end + 1);
            Object pid = isRemotePid(s) ? remotePid(s, nodes) : pid(s, processes);
            pos = end + 1;
            return pid;
        }
        int start = pos;
        while (pos < text.length() && ",}] \t".indexOf(text.charAt(pos)) < 0) {
            pos++;
        }
        String word = text.substring(start, pos);
        pos = start; // an error below points at the word
        Object value;
        if (INTEGER.matcher(word).matches()) {
            value = integer(word);
        } else if (FLOAT.matcher(word).matches()) {
            double d = Double.parseDouble(word);
            if (Double.isInfinite(d)) {
                throw error("the float " + shorten(word) + " is out of range (at most ±" + Double.MAX_VALUE + ")");
            }
            value = d;
        } else if (ATOM.matcher(word).matches()) {
            value = atom(word);
        } else {
            throw error(shorten("\"" + word + "\"") + " is not an atom, number, string, tuple, list or pid");
        }
        pos = start + word.length();
        return value;
    }

    /** A Long when {@code word} fits one, so that equal numbers are equal terms; a BigInteger otherwise. */
    private Object integer(String word) {
        int digits = word.length() - (word.charAt(0) == '-' ? 1 : 0);
        if (digits <= 18) {
            return Long.valueOf(word);
        }
        if (digits > MAX_DIGITS) {
            throw error("an integer of " + digits + " digits; at most " + MAX_DIGITS + " are read");
        }
        BigInteger big = new BigInteger(word);
        return big.bitLength() < Long.SIZE ? (Object) big.longValue() : big;
    }

    /** The atom {@code name}, or an error at the current position when it is longer than an atom may be. */
    private Object atom(String name) {
        try {
            return Atom.of(name);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    private List<Object> sequence(char close) {
        List<Object> out = new ArrayList<>();
        skipSpace();
        if (pos < text.length() && text.charAt(pos) == close) {
            pos++;
            return out;
        }
        for (;;) {
            out.add(term());
            skipSpace();
            if (pos >= text.length()) {
                throw error("'" + close + "' expected");
            }
            char c = text.charAt(pos++);
            if (c == close) {
                return out;
            }
            if (c != ',') {
                throw error("',' or '" + close + "' expected");
            }
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    /** An error naming the position; a long message is quoted only around it, so the error stays readable. */
    private HotcodeException error(String what) {
        String at = "\" at position " + (pos + 1);
        if (text.length() <= 2 * QUOTED) {
            return new HotcodeException("malformed message \"" + text + at + ": " + what);
        }
        int from = Math.max(0, pos - QUOTED);
        int to = Math.min(text.length(), pos + QUOTED);
        return new HotcodeException("malformed message \"" + (from > 0 ? "…" : "") + text.substring(from, to)
                + (to < text.length() ? "…" : "") + at + " of " + text.length() + ": " + what);
    }

    private static String shorten(String s) {
        return s.length() <= QUOTED ? s : s.substring(0, QUOTED) + "… (" + s.length() + " characters)";
    }
}
