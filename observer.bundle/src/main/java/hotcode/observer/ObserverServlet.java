package hotcode.observer;

import hotcode.runtime.api.HotcodeException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.felix.webconsole.servlet.AbstractServlet;
import org.apache.felix.webconsole.servlet.ServletConstants;

import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import hotcode.runtime.spi.ProcessQuery;

/**
 * The Web Console plugin {@code /system/console/hotcode}: the page (rendered inside the console's frame, so behind
 * its authentication), its script and style ({@code res/}), and a JSON API the script polls ({@code api/}).
 *
 * <p>Views are paths: {@code /hotcode} (overview), {@code /modules}, {@code /modules/<name>}, {@code /processes},
 * {@code /process/<pid>}, {@code /nodes}, {@code /deadletters}, {@code /upgrades}; the processes and one-process
 * views take {@code ?node=<name>} for another node's (its table filtered, sorted and paged there). Actions that kill or stop ({@code api/purge},
 * {@code api/kill}, {@code api/suspend}, {@code api/resume}) are POST only and need the page's token in the
 * {@code X-Hotcode-Token} header: another site can make a browser send a POST with its credentials, but it cannot read
 * the page to learn the token (same-origin policy), nor set a custom header without a CORS preflight, which fails.
 */
final class ObserverServlet extends AbstractServlet {
    static final String LABEL = "hotcode";
    static final String TITLE = "Hotcode";
    static final String TOKEN_HEADER = "X-Hotcode-Token";
    private static final long serialVersionUID = 1L;

    private final transient Observer observer = new Observer();
    private final String token;

    ObserverServlet() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ------------------------------------------------------------------ GET: api, resources, page

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String path = subPath(req);
        if (path.startsWith("/api/")) {
            answer(resp, () -> get(path.substring(4), req));
        } else if (path.startsWith("/res/")) {
            super.doGet(req, resp); // spoolResource: getResource below
        }
        // anything else: left undone, so the console renders its frame around renderContent
    }

    private Observer.Answer get(String api, HttpServletRequest req) {
        if (api.equals("/overview")) {
            return observer.overview(longParam(req, "since", 0), longParam(req, "after", 0));
        } else if (api.equals("/modules")) {
            return observer.modules();
        } else if (api.startsWith("/modules/")) {
            return observer.module(api.substring("/modules/".length()));
        } else if (api.equals("/processes")) {
            Map<String, String> filters = new LinkedHashMap<>();
            for (String c : ProcessQuery.COLUMNS) {
                filters.put(c, req.getParameter("f_" + c));
            }
            return observer.processes(req.getParameter("node"), new ProcessQuery(filters, req.getParameter("sort"),
                    "desc".equals(req.getParameter("dir")), (int) longParam(req, "page", 0),
                    (int) longParam(req, "size", 50)));
        } else if (api.startsWith("/process/")) {
            return observer.process(req.getParameter("node"), api.substring("/process/".length()));
        } else if (api.equals("/nodes")) {
            return observer.nodes("1".equals(req.getParameter("brief")));
        } else if (api.equals("/deadletters")) {
            return observer.deadLetters();
        } else if (api.equals("/upgrades")) {
            return observer.upgrades(longParam(req, "after", 0));
        } else if (ACTIONS.containsKey(api)) {
            return Observer.Answer.error(405, api.substring(1) + " changes the runtime: POST only, with the page's token");
        }
        return Observer.Answer.error(404, "no such view: " + api);
    }

    @Override
    protected URL getResource(String path) {
        int i = path == null ? -1 : path.indexOf("/res/");
        if (i < 0 || path.contains("..")) {
            return null;
        }
        return ObserverServlet.class.getResource(path.substring(i)); // /res/observer.js in this bundle
    }

    // ------------------------------------------------------------------ POST: actions

    private static final Map<String, String> ACTIONS = Map.of("/purge", "module", "/softpurge", "module",
            "/kill", "pid", "/suspend", "pid", "/resume", "pid");

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String path = subPath(req);
        String api = path.startsWith("/api/") ? path.substring(4) : path;
        if (!ACTIONS.containsKey(api)) {
            answer(resp, () -> Observer.Answer.error(404, "no such action: " + api));
            return;
        }
        if (!sameToken(req.getHeader(TOKEN_HEADER)) || !sameOrigin(req)) {
            answer(resp, () -> Observer.Answer.error(403, "refused: the request does not carry this page's token"
                    + " (actions are made from the Hotcode page only)"));
            return;
        }
        String arg = req.getParameter(ACTIONS.get(api));
        if (arg == null || arg.isBlank()) {
            answer(resp, () -> Observer.Answer.error(400, api.substring(1) + " needs the parameter " + ACTIONS.get(api)));
            return;
        }
        String node = req.getParameter("node"); // a process of another node (kill only)
        if (node != null && !node.isBlank() && !api.equals("/kill")) {
            answer(resp, () -> Observer.Answer.error(400, api.substring(1) + " acts on this node only; of another"
                    + " node's processes the page can kill (node " + node + ")"));
            return;
        }
        answer(resp, () -> switch (api) {
            case "/purge" -> observer.purge(arg, false);
            case "/softpurge" -> observer.purge(arg, true);
            case "/kill" -> observer.kill(node, arg);
            case "/suspend" -> observer.suspend(arg);
            default -> observer.resume(arg);
        });
    }

    private boolean sameToken(String given) {
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    /** A browser sends Origin with a cross-site POST; when it is there it must be this server. */
    private static boolean sameOrigin(HttpServletRequest req) {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        String host = req.getHeader("Host");
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    // ------------------------------------------------------------------ the page

    @Override
    public void renderContent(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String path = subPath(req);
        String view;
        String arg = "";
        String problem = null;
        if (path.isEmpty() || path.equals("/") || path.equals("/overview")) {
            view = "overview";
        } else if (path.equals("/modules")) {
            view = "modules";
        } else if (path.startsWith("/modules/")) {
            view = "module";
            arg = path.substring("/modules/".length());
            String m = arg;
            problem = problem(() -> observer.module(m));
        } else if (path.equals("/processes")) {
            view = "processes";
        } else if (path.startsWith("/process/")) {
            view = "process";
            arg = path.substring("/process/".length());
            String a = arg;
            String node = req.getParameter("node");
            problem = problem(() -> observer.process(node, a));
        } else if (path.equals("/nodes")) {
            view = "nodes";
        } else if (path.equals("/deadletters")) {
            view = "deadletters";
        } else if (path.equals("/upgrades")) {
            view = "upgrades";
        } else {
            view = "none";
            problem = "no such page: " + path + " (the Hotcode pages are overview, modules, processes, nodes,"
                    + " deadletters and upgrades)";
        }
        String root = pluginRoot(req);
        String app = (String) req.getAttribute(ServletConstants.ATTR_APP_ROOT);
        StringBuilder h = new StringBuilder(2048);
        h.append("<link rel=\"stylesheet\" href=\"").append(html(root)).append("/res/observer.css\">\n");
        h.append("<div id=\"hotcode-observer\" data-root=\"").append(html(root)).append("\" data-app=\"")
                .append(html(app == null ? "" : app)).append("\" data-view=\"").append(view).append("\" data-node=\"")
                .append(html(nodeParam(req))).append("\" data-arg=\"")
                .append(html(arg)).append("\" data-token=\"").append(token).append("\">\n");
        h.append("<nav class=\"hc-nav\">");
        for (String[] tab : new String[][] {{"overview", "", "Overview"}, {"modules", "/modules", "Modules"},
                {"processes", "/processes", "Processes"}, {"nodes", "/nodes", "Nodes"},
                {"deadletters", "/deadletters", "Dead letters"},
                {"upgrades", "/upgrades", "Upgrades"}}) {
            boolean on = tab[0].equals(view) || (tab[0].equals("modules") && view.equals("module"))
                    || (tab[0].equals("processes") && view.equals("process"));
            h.append("<a id=\"hc-tab-").append(tab[0]).append("\" class=\"hc-tab").append(on ? " hc-on" : "")
                    .append("\" href=\"").append(html(root)).append(tab[1]).append("\">").append(tab[2]).append("</a>");
        }
        h.append("<span id=\"hc-live\" class=\"hc-live\"></span></nav>\n");
        h.append("<div id=\"hc-message\" class=\"hc-message\" role=\"status\"></div>\n");
        if (problem != null) {
            h.append("<div id=\"hc-notfound\" class=\"hc-notfound\">").append(html(problem)).append("</div>\n");
        }
        h.append("<div id=\"hc-main\"></div>\n</div>\n");
        h.append("<script src=\"").append(html(root)).append("/res/observer.js\"></script>\n");
        resp.getWriter().write(h.toString());
    }

    /** The error an answer carries (a 404's message), or null when it is fine; the runtime's absence counts too. */
    private static String problem(java.util.function.Supplier<Observer.Answer> a) {
        try {
            Observer.Answer ans = a.get();
            return ans.status() >= 400 ? String.valueOf(((Map<?, ?>) ans.body()).get("error")) : null;
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void answer(HttpServletResponse resp, java.util.function.Supplier<Observer.Answer> a)
            throws IOException {
        Observer.Answer ans;
        try {
            ans = a.get();
        } catch (HotcodeException e) { // the runtime is not running (Access.get), or an operation refused
            ans = Observer.Answer.error(503, String.valueOf(e.getMessage()));
        } catch (RuntimeException e) { // a message, never a stack trace
            ans = Observer.Answer.error(500, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        resp.setStatus(ans.status());
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.getWriter().write(Json.write(ans.body()));
    }

    /** The request's path below the plugin's label: "" for the overview, "/processes", "/api/...". */
    static String subPath(HttpServletRequest req) {
        String p = req.getPathInfo();
        if (p == null) {
            return "";
        }
        String prefix = "/" + LABEL;
        if (p.equals(prefix)) {
            return "";
        }
        return p.startsWith(prefix + "/") ? p.substring(prefix.length()) : p;
    }

    /** The page's node ({@code ?node=}), or "" for this node's. */
    private static String nodeParam(HttpServletRequest req) {
        String n = req.getParameter("node");
        return n == null ? "" : n.strip();
    }

    private static String pluginRoot(HttpServletRequest req) {
        Object r = req.getAttribute(ServletConstants.ATTR_PLUGIN_ROOT);
        return r != null ? r.toString() : req.getContextPath() + req.getServletPath() + "/" + LABEL;
    }

    private static long longParam(HttpServletRequest req, String name, long dflt) {
        String v = req.getParameter(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return dflt; // an odd page number is the first page, not an error
        }
    }

    static String html(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
