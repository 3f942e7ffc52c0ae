package hotcode.runtime.impl;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Terms;
import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.NodeRow;
import hotcode.runtime.spi.Observation.Outcome;
import hotcode.runtime.spi.Observation.ProcessDetail;
import hotcode.runtime.spi.Observation.ProcessReport;
import hotcode.runtime.spi.Observation.ProcessRow;
import hotcode.runtime.spi.ProcessQuery;
import hotcode.runtime.spi.node.NodeTransport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The observer's view of other nodes, both ends: on the observer's node it asks another node through the cluster's
 * {@link NodeTransport#call} (Erlang's {@code rpc:call}), and on that node it answers the request ({@link #serve},
 * reached through {@code LocalNode.serve}), so the cluster bundle only relays. The requests only read, except
 * {@link #KILL}, which is what {@code exit(Pid, kill)} to a remote pid already does; a node answers no other.
 *
 * <p>Answers cross in the neutral form of values between nodes (JDK types only): a process's messages and a server's
 * state are made text on the node that has them, so no class of that node's modules has to be read by the asker.
 * Nothing runs for this until a page asks: no state, no thread between requests.
 */
final class NodeObservation {
    static final String PROCESSES = "observer.processes";
    static final String PROCESS = "observer.process";
    static final String KILL = "observer.kill";
    static final String VERSIONS = "observer.versions";
    static final List<String> REQUESTS = List.of(PROCESSES, PROCESS, KILL, VERSIONS);

    private final Kernel kernel;
    private final Observation local;

    NodeObservation(Kernel kernel, Observation local) {
        this.kernel = kernel;
        this.local = local;
    }

    // ------------------------------------------------------------------ the asking node

    List<NodeRow> nodes(long timeoutMillis) {
        NodeTransport t = kernel.transport();
        if (t == null) {
            return List.of();
        }
        List<NodeTransport.NodeInfo> infos = t.nodeInfo();
        List<Future<Object>> asked = new ArrayList<>(infos.size());
        // every node at once: one that does not answer costs the page one timeout, not one per node
        try (ExecutorService ask = Executors.newVirtualThreadPerTaskExecutor()) {
            for (NodeTransport.NodeInfo n : infos) {
                // asked even when the transport knows what it announced: whether it answers is what a page wants
                asked.add(n.self() || !n.connected() ? null
                        : ask.submit(() -> t.call(n.node(), VERSIONS, List.of(), timeoutMillis)));
            }
            List<NodeRow> out = new ArrayList<>(infos.size());
            for (int i = 0; i < infos.size(); i++) {
                NodeTransport.NodeInfo n = infos.get(i);
                Map<String, String> modules = n.modules(); // as it last announced them, if the transport knows
                String problem = null;
                if (n.self()) {
                    modules = kernel.node().moduleVersions();
                } else if (!n.connected()) {
                    problem = "node " + n.node() + " is not connected (it left, or this is an earlier incarnation)";
                } else {
                    try {
                        modules = versions(asked.get(i).get());
                    } catch (java.util.concurrent.ExecutionException e) {
                        problem = String.valueOf(e.getCause().getMessage()); // names the node (NodeTransport.call)
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        problem = "interrupted while asking node " + n.node() + " for its modules";
                    }
                }
                out.add(new NodeRow(n.index(), n.node(), n.incarnation(), n.address(), n.self(), n.connected(),
                        modules == null ? null : new TreeMap<>(modules), problem));
            }
            return out;
        }
    }

    ProcessQuery.Result query(String node, ProcessQuery q, int mailboxCap, long timeoutMillis) {
        if (isThisNode(node)) {
            return local.query(q, mailboxCap);
        }
        Map<?, ?> m = map(call(node, PROCESSES, Arrays.asList(new LinkedHashMap<>(q.filters()), q.sort(),
                q.descending(), q.page(), q.size(), mailboxCap), timeoutMillis), node, PROCESSES);
        List<ProcessRow> rows = new ArrayList<>();
        for (Object r : (List<?>) m.get("rows")) {
            rows.add(row((List<?>) r));
        }
        return new ProcessQuery.Result(rows, num(m.get("total")), num(m.get("matched")), num(m.get("page")),
                num(m.get("pages")));
    }

    ProcessReport process(String node, long id, int messages, int termChars, long timeoutMillis) {
        if (isThisNode(node)) {
            return report(id, messages, termChars);
        }
        Map<?, ?> m = map(call(node, PROCESS, List.of(id, messages, termChars), timeoutMillis), node, PROCESS);
        if (m.get("gone") != null) {
            return new ProcessReport(node, (String) m.get("gone"), null, false, List.of(), List.of(), List.of(),
                    List.of(), List.of(), null, null);
        }
        return new ProcessReport(node, null, row((List<?>) m.get("row")), Boolean.TRUE.equals(m.get("trapExit")),
                strings(m.get("frames")), strings(m.get("links")), strings(m.get("monitors")),
                strings(m.get("monitoredBy")), strings(m.get("messages")), (String) m.get("state"),
                (String) m.get("stateError"));
    }

    Outcome kill(String node, long id, long timeoutMillis) {
        if (isThisNode(node)) {
            return killHere(id);
        }
        Map<?, ?> m = map(call(node, KILL, List.of(id), timeoutMillis), node, KILL);
        return new Outcome(Boolean.TRUE.equals(m.get("ok")), String.valueOf(m.get("message")));
    }

    String nodeName() {
        return kernel.nodeName();
    }

    private boolean isThisNode(String node) {
        return node == null || node.isEmpty() || node.equals(kernel.nodeName());
    }

    private Object call(String node, String request, List<Object> args, long timeoutMillis) {
        NodeTransport t = kernel.transport();
        if (t == null) {
            throw new HotcodeException("node " + node + " is not connected: this runtime is no node of a cluster ("
                    + Observation.NO_NODE + "; the hotcode.cluster bundle is not running or not configured)");
        }
        return t.call(node, request, new ArrayList<>(args), timeoutMillis); // names the node when it fails
    }

    // ------------------------------------------------------------------ the answering node

    /** Answers another node's observer: {@link #REQUESTS}; a {@code HotcodeException} for bad arguments. */
    Object serve(String request, List<Object> args) {
        switch (request) {
            case VERSIONS -> {
                return new LinkedHashMap<>(kernel.node().moduleVersions());
            }
            case PROCESSES -> {
                if (args.size() != 6 || !(args.get(0) instanceof Map<?, ?> f)) {
                    throw bad(request, args);
                }
                Map<String, String> filters = new LinkedHashMap<>();
                f.forEach((k, v) -> filters.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
                ProcessQuery q = new ProcessQuery(filters, (String) args.get(1), Boolean.TRUE.equals(args.get(2)),
                        num(args.get(3)), num(args.get(4)));
                ProcessQuery.Result r = local.query(q, num(args.get(5)));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("total", r.total());
                out.put("matched", r.matched());
                out.put("page", r.page());
                out.put("pages", r.pages());
                out.put("rows", r.rows().stream().map(NodeObservation::cells).toList());
                return out;
            }
            case PROCESS -> {
                if (args.size() != 3) {
                    throw bad(request, args);
                }
                ProcessReport r = report(lng(args.get(0)), num(args.get(1)), num(args.get(2)));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("gone", r.gone());
                if (r.gone() == null) {
                    out.put("row", cells(r.row()));
                    out.put("trapExit", r.trapExit());
                    out.put("frames", r.frames());
                    out.put("links", r.links());
                    out.put("monitors", r.monitors());
                    out.put("monitoredBy", r.monitoredBy());
                    out.put("messages", r.messages());
                    out.put("state", r.state());
                    out.put("stateError", r.stateError());
                }
                return out;
            }
            case KILL -> {
                if (args.size() != 1) {
                    throw bad(request, args);
                }
                Outcome o = killHere(lng(args.get(0)));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("ok", o.ok());
                out.put("message", o.message());
                return out;
            }
            default -> throw new HotcodeException("node " + kernel.nodeName() + " answers the observer's requests "
                    + REQUESTS + ", not " + request);
        }
    }

    private HotcodeException bad(String request, List<Object> args) {
        return new HotcodeException(request + " on node " + kernel.nodeName() + ": unexpected arguments " + args);
    }

    /** Process {@code id} of this node as a page shows it, every value text. */
    ProcessReport report(long id, int messages, int termChars) {
        String node = kernel.nodeName();
        ProcessDetail d = local.process(id);
        if (d == null) {
            return new ProcessReport(node, gone(id), null, false, List.of(), List.of(), List.of(), List.of(),
                    List.of(), null, null);
        }
        List<Object> waiting = local.messages(id, Math.max(0, messages));
        List<String> shown = waiting == null ? List.of()
                : waiting.stream().map(m -> term(m, termChars)).toList();
        String state = null;
        String stateError = null;
        if (d.row().server()) {
            Pid pid = local.pid(id);
            try {
                state = pid == null ? null : term(kernel.getState(pid), termChars * 10);
            } catch (RuntimeException e) {
                stateError = String.valueOf(e.getMessage());
            }
        }
        return new ProcessReport(node, null, d.row(), d.trapExit(), List.copyOf(d.frames()), texts(d.links()),
                texts(d.monitors()), texts(d.monitoredBy()), shown, state, stateError);
    }

    private Outcome killHere(long id) {
        Pid pid = local.pid(id);
        if (pid == null) {
            return new Outcome(false, gone(id));
        }
        kernel.exit(pid, Hotcode.KILL);
        return new Outcome(true, "sent kill to " + pid + " on node " + kernel.nodeName());
    }

    /** Why this node has no live process numbered {@code id}. */
    private String gone(long id) {
        String pid = "<0." + id + ".0>";
        return id >= 1 && id <= kernel.processes().spawned()
                ? "process " + pid + " has exited on node " + kernel.nodeName()
                : "no process " + pid + " on node " + kernel.nodeName() + ": that node has not spawned it";
    }

    // ------------------------------------------------------------------ the neutral form

    private static List<Object> cells(ProcessRow r) {
        return Arrays.asList(r.id(), r.name(), r.module(), r.version(), r.oldCode(), r.mailbox(), r.status(),
                r.function(), r.server());
    }

    private static ProcessRow row(List<?> c) {
        return new ProcessRow(lng(c.get(0)), (String) c.get(1), (String) c.get(2), (String) c.get(3),
                Boolean.TRUE.equals(c.get(4)), num(c.get(5)), (String) c.get(6), (String) c.get(7),
                Boolean.TRUE.equals(c.get(8)));
    }

    private static Map<?, ?> map(Object answer, String node, String request) {
        if (answer instanceof Map<?, ?> m) {
            return m;
        }
        throw new HotcodeException(request + " on node " + node + ": an answer of an unexpected form ("
                + (answer == null ? "null" : answer.getClass().getName()) + "); is that node on another version?");
    }

    private static Map<String, String> versions(Object answer) {
        Map<String, String> out = new TreeMap<>();
        if (answer instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        }
        return out;
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> out.add(String.valueOf(x)));
        }
        return out;
    }

    private static List<String> texts(List<Pid> pids) {
        return pids.stream().map(String::valueOf).toList();
    }

    private static int num(Object o) {
        return o instanceof Number n ? (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, n.longValue())) : 0;
    }

    private static long lng(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new HotcodeException("a process number was expected, not " + o);
    }

    /**
     * A value as a term for a page, cut at {@code max} characters. A message is any object, and it belongs to a
     * process that may be changing it: a toString that throws is shown as such, never a failed answer.
     */
    static String term(Object value, int max) {
        String s;
        try {
            s = Terms.format(value);
        } catch (RuntimeException | StackOverflowError e) {
            return "(cannot be shown: " + value.getClass().getName() + "'s toString threw " + e + ")";
        }
        int cut = Math.max(1, max);
        return s.length() <= cut ? s : s.substring(0, cut) + "... (" + s.length() + " characters)";
    }
}
