package hotcode.runtime.impl.code;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The manifest header that makes a bundle a module:
 * {@code Hotcode-Module: <name>;class=<entry class>[;commands="f1,f2"]}. One module per bundle.
 */
public record ModuleHeader(String module, String entryClass, List<String> commands) {
    public static final String NAME = "Hotcode-Module";
    private static final Pattern MODULE = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    private static final Pattern JAVA_NAME = Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*");
    private static final Pattern FUNCTION = Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*");

    /** Parses the header's value; {@code owner} names the bundle in the error messages. */
    public static ModuleHeader parse(String value, String owner) {
        String where = "the " + NAME + " header of " + owner;
        if (value == null || value.isBlank()) {
            throw new BadModuleException(where + " is empty; expected <name>;class=<entry class>");
        }
        List<String> parts = split(value, ';', where);
        String module = parts.get(0).trim();
        if (module.indexOf(',') >= 0 || split(value, ',', where).size() > 1) {
            throw new BadModuleException(where + " declares more than one module (\"" + value + "\"); a bundle holds one module");
        }
        if (!MODULE.matcher(module).matches()) {
            throw new BadModuleException(where + " has an invalid module name \"" + module
                    + "\": use letters, digits and _, starting with a letter");
        }
        String entry = null;
        List<String> commands = List.of();
        for (String attr : parts.subList(1, parts.size())) {
            int eq = attr.indexOf('=');
            if (eq < 0) {
                throw new BadModuleException(where + " has \"" + attr.trim() + "\" where key=value was expected");
            }
            String key = attr.substring(0, eq).trim();
            if (key.endsWith(":")) {
                key = key.substring(0, key.length() - 1);
            }
            String val = unquote(attr.substring(eq + 1).trim());
            switch (key) {
                case "class" -> {
                    if (!JAVA_NAME.matcher(val).matches()) {
                        throw new BadModuleException(where + " names class \"" + val + "\", which is not a Java class name");
                    }
                    entry = val;
                }
                case "commands" -> {
                    List<String> cs = new ArrayList<>();
                    for (String c : val.split(",")) {
                        String f = c.trim();
                        if (!FUNCTION.matcher(f).matches()) {
                            throw new BadModuleException(where + " lists command \"" + f + "\", which is not a function name");
                        }
                        cs.add(f);
                    }
                    commands = List.copyOf(cs);
                }
                default -> throw new BadModuleException(where + " has an unknown attribute \"" + key
                        + "\"; known: class, commands");
            }
        }
        if (entry == null) {
            throw new BadModuleException(where + " lacks class=<entry class> (\"" + value + "\")");
        }
        return new ModuleHeader(module, entry, commands);
    }

    private static List<String> split(String value, char sep, String where) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char c : value.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == sep && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new BadModuleException(where + " has an unterminated quote: " + value);
        }
        out.add(cur.toString());
        return out;
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
