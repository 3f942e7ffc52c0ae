package hotcode.runtime.impl.shell;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.process.ProcessTable;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a term written the Erlang way, for {@code hotcode:send}: atoms ({@code ping}, {@code 'Quoted'}), integers,
 * floats, strings ({@code "text"}), tuples ({@code {ping, 1}}), lists ({@code [1, 2]}) and pids ({@code <0.42.0>}).
 */
final class TermParser {
    private final String text;
    private final ProcessTable processes;
    private int pos;

    private TermParser(String text, ProcessTable processes) {
        this.text = text;
        this.processes = processes;
    }

    static Object parse(String text, ProcessTable processes) {
        TermParser p = new TermParser(text, processes);
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

    /** Whether {@code text} is written as a pid: {@code <0.N.0>} or {@code N}. */
    static boolean isPid(String text) {
        return digits(text).matches("\\d{1,18}");
    }

    /** The N of a pid written {@code <0.N.0>} or {@code N}. */
    static long pidNumber(String text) {
        String digits = digits(text);
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
        if (c == '{') {
            pos++;
            return hotcode.runtime.api.Tuple.of(sequence('}').toArray());
        }
        if (c == '[') {
            pos++;
            return List.copyOf(sequence(']'));
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
            String s = text.substring(pos + 1, end);
            pos = end + 1;
            return Atom.of(s);
        }
        if (c == '<') {
            int end = text.indexOf('>', pos);
            if (end < 0) {
                throw error("unterminated pid");
            }
            String s = text.substring(pos, end + 1);
            pos = end + 1;
            return pid(s, processes);
        }
        int start = pos;
        while (pos < text.length() && ",}] \t".indexOf(text.charAt(pos)) < 0) {
            pos++;
        }
        String word = text.substring(start, pos);
        if (word.matches("-?\\d+")) {
            return Long.valueOf(word);
        }
        if (word.matches("-?\\d+\\.\\d+([eE]-?\\d+)?")) {
            return Double.valueOf(word);
        }
        if (word.matches("[a-z][A-Za-z0-9_@]*")) {
            return Atom.of(word);
        }
        pos = start;
        throw error("\"" + word + "\" is not an atom, number, string, tuple, list or pid");
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

    private HotcodeException error(String what) {
        return new HotcodeException("malformed message \"" + text + "\" at position " + (pos + 1) + ": " + what);
    }
}
