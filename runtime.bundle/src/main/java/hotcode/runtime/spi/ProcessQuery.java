package hotcode.runtime.spi;

import hotcode.runtime.spi.Observation.Column;
import hotcode.runtime.spi.Observation.ProcessRow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The process table's query, answered on the server so that the page gets one page of rows however many processes
 * there are: filter by any column, sort by one, then cut the page. A filter is plain text, matched as a
 * case-insensitive substring (no pattern syntax: {@code .*}, {@code %} or {@code <} are just characters); the mailbox
 * filter is a number, meaning "at least that many", and the old-code filter is {@code yes} or {@code no}.
 *
 * <p>It lives in the runtime, not in the observer, so that another node answers it the same way: the observer's table
 * of a remote node is filtered, sorted and paged on that node ({@link Observation#query(String, ProcessQuery, long)}),
 * and only the page crosses the network.
 *
 * @param filters column to filter text; only the known columns count, blank texts are ignored
 * @param sort    the column to sort by ({@link #COLUMNS}); anything else sorts by pid
 * @param page    from 0
 * @param size    rows per page, 1 to {@link #MAX_SIZE}
 */
public record ProcessQuery(Map<String, String> filters, String sort, boolean descending, int page, int size) {
    public static final List<String> COLUMNS = List.of("pid", "name", "module", "version", "old", "mailbox", "status", "function");
    public static final int MAX_SIZE = 500;

    public ProcessQuery {
        Map<String, String> known = new LinkedHashMap<>();
        if (filters != null) {
            filters.forEach((k, v) -> {
                if (k != null && COLUMNS.contains(k) && v != null && !v.isBlank()) {
                    known.put(k, v.strip());
                }
            });
        }
        filters = Map.copyOf(known);
        sort = sort != null && COLUMNS.contains(sort) ? sort : "pid";
        page = Math.max(0, page);
        size = Math.min(MAX_SIZE, Math.max(1, size));
    }

    /** The columns the query reads for every process: those it filters or sorts by (the page's rows are read whole). */
    public Set<Column> columns() {
        Set<Column> out = EnumSet.noneOf(Column.class);
        List<String> used = new ArrayList<>(filters.keySet());
        used.add(sort);
        for (String c : used) {
            switch (c) {
                case "name" -> out.add(Column.NAME);
                case "module", "version" -> out.add(Column.MODULE);
                case "old" -> out.add(Column.OLD_CODE);
                case "mailbox" -> out.add(Column.MAILBOX);
                case "status" -> out.add(Column.STATUS);
                case "function" -> out.add(Column.FUNCTION);
                default -> {
                    // pid: the id every row has
                }
            }
        }
        return out;
    }

    /** One page of the answer: the rows, and how many processes there are and how many match. */
    public record Result(List<ProcessRow> rows, int total, int matched, int page, int pages) {
    }

    /** This query over {@code all}: the page of matching rows in order, and how many there are and match. */
    public Result run(List<ProcessRow> all) {
        Predicate<ProcessRow> match = r -> true;
        for (Map.Entry<String, String> f : filters.entrySet()) {
            match = match.and(filter(f.getKey(), f.getValue()));
        }
        List<ProcessRow> hits = new ArrayList<>();
        for (ProcessRow r : all) {
            if (match.test(r)) {
                hits.add(r);
            }
        }
        Comparator<ProcessRow> order = comparator(sort);
        if (descending) {
            order = order.reversed();
        }
        hits.sort(order.thenComparingLong(ProcessRow::id));
        int pages = Math.max(1, (hits.size() + size - 1) / size);
        int p = Math.min(page, pages - 1);
        int from = p * size;
        List<ProcessRow> rows = List.copyOf(hits.subList(Math.min(from, hits.size()), Math.min(from + size, hits.size())));
        return new Result(rows, all.size(), hits.size(), p, pages);
    }

    private static Comparator<ProcessRow> comparator(String column) {
        return switch (column) {
            case "name" -> text(ProcessRow::name);
            case "module" -> text(ProcessRow::module);
            case "version" -> text(ProcessRow::version);
            case "old" -> Comparator.comparing(ProcessRow::oldCode);
            case "mailbox" -> Comparator.comparingInt(ProcessRow::mailbox);
            case "status" -> text(ProcessRow::status);
            case "function" -> text(ProcessRow::function);
            default -> Comparator.comparingLong(ProcessRow::id);
        };
    }

    /** Nulls (no name, no module) last in ascending order. */
    private static Comparator<ProcessRow> text(Function<ProcessRow, String> f) {
        return Comparator.comparing(f, Comparator.nullsLast(Comparator.naturalOrder()));
    }

    private static Predicate<ProcessRow> filter(String column, String text) {
        String needle = text.toLowerCase(Locale.ROOT);
        return switch (column) {
            case "pid" -> r -> contains(r.pid(), needle);
            case "name" -> r -> contains(r.name(), needle);
            case "module" -> r -> contains(r.module(), needle);
            case "version" -> r -> contains(r.version(), needle);
            case "status" -> r -> contains(r.status(), needle);
            case "function" -> r -> contains(r.function(), needle);
            case "old" -> switch (needle) {
                case "yes", "y", "true", "old" -> ProcessRow::oldCode;
                case "no", "n", "false" -> r -> !r.oldCode();
                default -> r -> false; // neither yes nor no: nothing matches, as a text that is in no row
            };
            case "mailbox" -> {
                Integer min = number(needle);
                yield min == null ? r -> contains(Integer.toString(r.mailbox()), needle) : r -> r.mailbox() >= min;
            }
            default -> r -> true;
        };
    }

    private static Integer number(String s) {
        String t = s.startsWith(">=") ? s.substring(2).strip() : s;
        try {
            return Integer.valueOf(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean contains(String value, String needle) {
        return value != null && value.toLowerCase(Locale.ROOT).contains(needle);
    }
}
