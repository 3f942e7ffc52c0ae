package hotcode.observer;

import hotcode.runtime.spi.Observation;
import hotcode.runtime.spi.Observation.ProcessRow;
import hotcode.runtime.spi.ProcessQuery;
import org.junit.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The process table's server-side query: filters as plain text, sorting, paging; and the JSON and pid parsing. */
public class ProcessQueryTest {
    private static ProcessRow row(long id, String name, String module, int mailbox, boolean old) {
        return new ProcessRow(id, name, module, module == null ? null : "1.0.0", old, mailbox,
                "waiting", module == null ? null : module + ":loop (" + module + " 1.0.0)", false);
    }

    private static List<ProcessRow> rows(int n) {
        List<ProcessRow> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(row(i, i % 10 == 0 ? "worker_" + i : null, i % 2 == 0 ? "pingpong" : "kv", (i * 7919) % 1000, i % 3 == 0));
        }
        return out;
    }

    private static ProcessQuery q(Map<String, String> f, String sort, boolean desc, int page, int size) {
        return new ProcessQuery(f, sort, desc, page, size);
    }

    @Test
    public void sortsByMailboxLargestFirstAndPages() {
        ProcessQuery.Result r = q(Map.of(), "mailbox", true, 0, 10).run(rows(5000));
        assertEquals(5000, r.total());
        assertEquals(5000, r.matched());
        assertEquals(10, r.rows().size());
        assertEquals(500, r.pages());
        for (int i = 1; i < r.rows().size(); i++) {
            assertTrue(r.rows().get(i - 1).mailbox() >= r.rows().get(i).mailbox());
        }
        assertEquals(999, r.rows().get(0).mailbox());
    }

    @Test
    public void aPageBeyondTheLastIsTheLastPage() {
        ProcessQuery.Result r = q(Map.of(), "pid", false, 99, 40).run(rows(100));
        assertEquals(2, r.page());
        assertEquals(20, r.rows().size());
        assertEquals(81, r.rows().get(0).id());
    }

    @Test
    public void filtersAreTextNotPatterns() {
        List<ProcessRow> rs = new ArrayList<>(rows(100));
        rs.add(row(1000, "a.*b", "odd<mod>", 3, false));
        rs.add(row(1001, "50%_off", "kv", 3, false));
        assertEquals(List.of(1000L), ids(q(Map.of("name", ".*"), null, false, 0, 50).run(rs)));
        assertEquals(List.of(1000L), ids(q(Map.of("module", "<MOD>"), null, false, 0, 50).run(rs)));
        assertEquals(List.of(1001L), ids(q(Map.of("name", "%_"), null, false, 0, 50).run(rs)));
        assertEquals(List.of(), ids(q(Map.of("name", "'; drop table --"), null, false, 0, 50).run(rs)));
        assertEquals(List.of(), ids(q(Map.of("old", "perhaps"), null, false, 0, 50).run(rs)));
    }

    @Test
    public void mailboxFilterIsAMinimumAndFiltersCombine() {
        Map<String, String> f = new HashMap<>();
        f.put("mailbox", "990");
        f.put("module", "PingPong");
        f.put("unknown column", "x");
        ProcessQuery.Result r = q(f, "mailbox", false, 0, 500).run(rows(5000));
        assertTrue(r.matched() > 0);
        r.rows().forEach(x -> assertTrue(x.mailbox() >= 990 && x.module().equals("pingpong")));
    }

    @Test
    public void aQueryReadsOnlyTheColumnsItFiltersOrSortsBy() {
        assertEquals(java.util.EnumSet.noneOf(Observation.Column.class), q(Map.of(), "pid", false, 0, 50).columns());
        assertEquals(java.util.EnumSet.of(Observation.Column.MAILBOX, Observation.Column.NAME),
                q(Map.of("name", "x"), "mailbox", true, 0, 50).columns());
    }

    @Test
    public void oddSortAndSizesAreClamped() {
        ProcessQuery q = q(null, "1; drop", true, -5, 100_000);
        assertEquals("pid", q.sort());
        assertEquals(0, q.page());
        assertEquals(ProcessQuery.MAX_SIZE, q.size());
    }

    @Test
    public void jsonEscapesMarkupAndControlCharacters() {
        assertEquals("\"\\u003c/script\\u003e\\\"x\\\\\\n\\u0001\"", Json.write("</script>\"x\\\n\u0001"));
        assertEquals("[1,true,null]", Json.write(java.util.Arrays.asList(1, true, null)));
    }

    @Test
    public void pidsAreReadInEveryUsualForm() {
        assertEquals(5, Observer.pidNumber("<0.5.0>"));
        assertEquals(5, Observer.pidNumber("0.5.0"));
        assertEquals(5, Observer.pidNumber(" 5 "));
        assertEquals(-1, Observer.pidNumber("<script>"));
        assertEquals(-1, Observer.pidNumber("5; kill"));
        assertEquals(-1, Observer.pidNumber(""));
        assertEquals(-1, Observer.pidNumber(null));
    }

    private static List<Long> ids(ProcessQuery.Result r) {
        return r.rows().stream().map(ProcessRow::id).toList();
    }
}
