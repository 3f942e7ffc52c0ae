package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.impl.code.ModuleHeader;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A release file, Erlang's {@code .rel} in a form a person reads and writes: a named, versioned set of bundles, each
 * a module or a plain library, with its jar.
 * <pre>
 * # the shop, release 2
 * release: shop 2.0.0
 * purge: true                          (optional: purge modules' old code first, else such a module refuses it)
 * order: stock before orders           (optional, Erlang's DepMods: stock's servers suspended first, resumed last)
 * library shop.records records-2.jar   (a bundle without Hotcode-Module: updated before the modules)
 * module  shop.orders  orders-2.jar    (a module bundle: prepared with the others, committed all at once)
 * module  shop.stock   https://repo.example/stock-2.jar
 * </pre>
 * A jar is a path relative to the release file, an absolute path, or a URL. Lines are {@code key: value} or
 * {@code module|library <symbolic name> <jar>}; {@code #} begins a comment. {@code order: B before A} names two
 * modules of the release (module names, as in the {@code Hotcode-Module} header): B is prepared before A and resumed
 * after it; modules no order line names keep the file's order. A module whose servers call another's goes first, so
 * that none of its callbacks waits on a suspended server (docs/DESIGN.md, "Releases"). Every jar is read and checked when the
 * file is read (a bundle of that symbolic name; a module line names a module bundle, a library line one that is not),
 * so a bad release is refused, every problem named with its line, before any bundle is touched.
 */
final class ReleaseFile {
    /** The largest release file read: a release names bundles, it does not hold them. */
    private static final int MAX_FILE_BYTES = 1 << 20;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    /** A URL's scheme; two letters at least, so that {@code C:\x.jar} stays a path. */
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:.*");

    enum Kind {
        MODULE, LIBRARY;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** One bundle of a release: its jar read and checked. {@code module} is null for a library. */
    record Entry(Kind kind, String symbolicName, String version, String module, String url, byte[] jar, int line) {
        String label() {
            return "bundle " + symbolicName + " " + version;
        }
    }

    /** {@code order: before before after}, on line {@code line}. */
    record Order(String before, String after, int line) {
    }

    /**
     * A release read from {@code source}; {@code bundles} in the file's order, except that modules follow the
     * {@code order:} lines (each {@code before} ahead of its {@code after}).
     */
    record Release(String name, String version, boolean purge, List<Entry> bundles, String source) {
        String label() {
            return name + " " + version;
        }

        List<Entry> of(Kind kind) {
            return bundles.stream().filter(e -> e.kind == kind).toList();
        }
    }

    private ReleaseFile() {
    }

    /** Reads and checks the release file at {@code fileOrUrl} (a path, relative to the working directory, or a URL). */
    static Release read(String fileOrUrl) {
        URI uri = uriOf(fileOrUrl == null ? "" : fileOrUrl.trim(), null);
        if (uri == null) {
            throw new HotcodeException("release: \"" + fileOrUrl + "\" is neither a file path nor a URL");
        }
        if ("file".equals(uri.getScheme())) {
            Path p = Path.of(uri);
            if (!Files.isRegularFile(p)) {
                throw new HotcodeException("release: no release file " + p + (Files.isDirectory(p) ? " (a directory)" : ""));
            }
        }
        byte[] text;
        try {
            URLConnection c = uri.toURL().openConnection();
            c.setConnectTimeout(30_000);
            c.setReadTimeout(30_000);
            try (InputStream in = c.getInputStream()) {
                text = in.readNBytes(MAX_FILE_BYTES + 1);
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new HotcodeException("release: cannot read " + uri + ": " + e);
        }
        if (text.length > MAX_FILE_BYTES) {
            throw new HotcodeException("release: " + uri + " is larger than 1 MiB: not a release file");
        }
        return parse(uri, new String(text, StandardCharsets.UTF_8).lines().toList());
    }

    /** Parses {@code lines}, jars relative to {@code base}; throws naming every problem and its line. */
    static Release parse(URI base, List<String> lines) {
        List<String> problems = new ArrayList<>();
        String name = null, version = null;
        int releaseLine = 0;
        Boolean purge = null;
        List<Entry> bundles = new ArrayList<>();
        Map<String, Entry> byName = new HashMap<>();
        Map<String, Entry> byModule = new HashMap<>();
        List<Order> orders = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int n = i + 1;
            String line = lines.get(i);
            int hash = line.indexOf('#');
            line = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] w = line.split("\\s+", 3);
            switch (w[0]) {
                case "release:" -> {
                    if (releaseLine != 0) {
                        problems.add(at(n, "a second release: line (the first is line " + releaseLine + ")"));
                    } else if (w.length != 3 || !NAME.matcher(w[1]).matches() || !NAME.matcher(w[2]).matches()) {
                        problems.add(at(n, "expected \"release: <name> <version>\" (letters, digits, . _ -), not \""
                                + line + "\""));
                        releaseLine = n;
                    } else {
                        name = w[1];
                        version = w[2];
                        releaseLine = n;
                    }
                }
                case "purge:" -> {
                    if (w.length != 2 || !(w[1].equals("true") || w[1].equals("false"))) {
                        problems.add(at(n, "expected \"purge: true\" or \"purge: false\", not \"" + line + "\""));
                    } else if (purge != null) {
                        problems.add(at(n, "a second purge: line"));
                    } else {
                        purge = Boolean.valueOf(w[1]);
                    }
                }
                case "order:" -> {
                    String[] o = line.split("\\s+");
                    if (o.length != 4 || !o[2].equals("before") || o[1].equals(o[3])) {
                        problems.add(at(n, "expected \"order: <module> before <another module>\", not \"" + line + "\""));
                    } else {
                        orders.add(new Order(o[1], o[3], n));
                    }
                }
                case "module", "library" -> {
                    Kind kind = w[0].equals("module") ? Kind.MODULE : Kind.LIBRARY;
                    if (w.length != 3 || !NAME.matcher(w[1]).matches()) {
                        problems.add(at(n, "expected \"" + kind + " <bundle symbolic name> <jar path or URL>\", not \""
                                + line + "\""));
                        continue;
                    }
                    Entry prev = byName.get(w[1]);
                    if (prev != null) {
                        problems.add(at(n, "bundle " + w[1] + " is named twice (also on line " + prev.line + ")"));
                        continue;
                    }
                    Entry e = entry(kind, w[1], w[2].trim(), base, n, problems);
                    if (e == null) {
                        continue;
                    }
                    byName.put(e.symbolicName, e);
                    if (e.module != null) {
                        Entry other = byModule.putIfAbsent(e.module, e);
                        if (other != null) {
                            problems.add(at(n, "two versions of module " + e.module + ": " + e.label() + " here and "
                                    + other.label() + " on line " + other.line + "; a release holds one version of a module"));
                            continue;
                        }
                    }
                    bundles.add(e);
                }
                default -> problems.add(at(n, "\"" + line + "\" is not a release line: expected release:, purge:, "
                        + "module or library"));
            }
        }
        if (releaseLine == 0) {
            problems.add("no \"release: <name> <version>\" line");
        }
        if (bundles.isEmpty() && problems.isEmpty()) {
            problems.add("no module or library line: the release has no bundle");
        }
        for (Order o : orders) {
            for (String m : List.of(o.before, o.after)) {
                if (!byModule.containsKey(m)) {
                    problems.add(at(o.line, "order: " + m + " is not a module of this release"
                            + (byModule.isEmpty() ? "" : " (its modules: " + new java.util.TreeSet<>(byModule.keySet()) + ")")));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new HotcodeException("release " + base + " refused, nothing was changed:\n  "
                    + String.join("\n  ", problems));
        }
        List<Entry> sorted = ordered(bundles, orders);
        if (sorted == null) {
            throw new HotcodeException("release " + base + " refused, nothing was changed:\n  the order: lines "
                    + orders.stream().map(o -> String.valueOf(o.line)).toList() + " form a cycle");
        }
        return new Release(name, version, Boolean.TRUE.equals(purge), List.copyOf(sorted), base.toString());
    }

    /**
     * {@code bundles} with the modules sorted so that every order's {@code before} comes ahead of its {@code after},
     * each module otherwise where the file has it (a module is preceded only by the modules it must follow), in the
     * places modules have in the file; null on a cycle.
     */
    private static List<Entry> ordered(List<Entry> bundles, List<Order> orders) {
        Map<String, Entry> byModule = new HashMap<>();
        bundles.stream().filter(e -> e.kind == Kind.MODULE).forEach(e -> byModule.put(e.module, e));
        List<Entry> sorted = new ArrayList<>();
        java.util.Set<String> done = new java.util.HashSet<>();
        for (Entry e : bundles) {
            if (e.kind == Kind.MODULE && !visit(e.module, orders, byModule, done, new java.util.HashSet<>(), sorted)) {
                return null;
            }
        }
        java.util.Iterator<Entry> inOrder = sorted.iterator();
        List<Entry> out = new ArrayList<>();
        for (Entry e : bundles) {
            out.add(e.kind == Kind.MODULE ? inOrder.next() : e);
        }
        return out;
    }

    /** Adds {@code module} to {@code sorted} after the modules it must follow; false on a cycle. */
    private static boolean visit(String module, List<Order> orders, Map<String, Entry> byModule, java.util.Set<String> done,
                                 java.util.Set<String> path, List<Entry> sorted) {
        if (done.contains(module)) {
            return true;
        }
        if (!path.add(module)) {
            return false;
        }
        for (Order o : orders) {
            if (o.after.equals(module) && !visit(o.before, orders, byModule, done, path, sorted)) {
                return false;
            }
        }
        path.remove(module);
        done.add(module);
        sorted.add(byModule.get(module));
        return true;
    }

    /** The bundle on line {@code n}, read and checked; null (with the problem added) when it is not what it claims. */
    private static Entry entry(Kind kind, String bsn, String jar, URI base, int n, List<String> problems) {
        URI uri = uriOf(jar, base);
        if (uri == null) {
            problems.add(at(n, "\"" + jar + "\" is neither a file path nor a URL"));
            return null;
        }
        if ("file".equals(uri.getScheme()) && !Files.exists(Path.of(uri))) {
            problems.add(at(n, "no file " + Path.of(uri) + " (the jar of " + kind + " " + bsn + ")"));
            return null;
        }
        ModuleJar.Jar j;
        try {
            j = ModuleJar.readJar("", uri.toString());
        } catch (HotcodeException e) {
            problems.add(at(n, e.getMessage()));
            return null;
        }
        String actual = j.symbolicName();
        if (actual == null) {
            problems.add(at(n, uri + " is not a bundle: its manifest has no Bundle-SymbolicName"));
            return null;
        }
        if (!actual.equals(bsn)) {
            problems.add(at(n, uri + " is bundle " + actual + ", not " + bsn));
            return null;
        }
        String version = j.header("Bundle-Version") == null ? "0.0.0" : j.header("Bundle-Version").trim();
        String header = j.header(ModuleHeader.NAME);
        String module = null;
        if (kind == Kind.MODULE) {
            if (header == null) {
                problems.add(at(n, uri + " (bundle " + bsn + " " + version + ") is not a module: it has no "
                        + ModuleHeader.NAME + " header; list it as a library"));
                return null;
            }
            try {
                module = ModuleHeader.parse(header, "bundle " + bsn + " " + version).module();
            } catch (HotcodeException e) {
                problems.add(at(n, e.getMessage()));
                return null;
            }
        } else if (header != null) {
            problems.add(at(n, uri + " (bundle " + bsn + " " + version + ") is a module (" + ModuleHeader.NAME + ": "
                    + header + "); list it as a module"));
            return null;
        }
        return new Entry(kind, bsn, version, module, uri.toString(), j.bytes(), n);
    }

    /** {@code s} as a URL if it has a scheme, else as a path relative to {@code base} (or the working directory). */
    private static URI uriOf(String s, URI base) {
        if (s.isEmpty()) {
            return null;
        }
        try {
            if (SCHEME.matcher(s).matches()) {
                return new URI(s);
            }
            Path p = Path.of(s);
            if (p.isAbsolute() || base == null || !"file".equals(base.getScheme())) {
                return base == null || p.isAbsolute() ? p.toAbsolutePath().normalize().toUri()
                        : base.resolve(new URI(null, null, s.replace('\\', '/'), null));
            }
            return Path.of(base).resolveSibling(p).normalize().toUri();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static String at(int line, String what) {
        return "line " + line + ": " + what;
    }
}
