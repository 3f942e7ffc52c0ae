package hotcode.runtime.impl.shell;

import java.util.ArrayList;
import java.util.List;

/**
 * A command's answer: rows for scripts ({@code ($t rows)} in Gogo), an aligned table for people (toString, which is
 * what the console prints).
 */
public final class Table {
    private final List<String> columns;
    private final List<List<Object>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public Table(String... columns) {
        this.columns = List.of(columns);
    }

    public Table row(Object... cells) {
        rows.add(java.util.Arrays.asList(cells));
        return this;
    }

    public Table note(String line) {
        notes.add(line);
        return this;
    }

    public List<List<Object>> rows() {
        return rows;
    }

    public List<String> columns() {
        return columns;
    }

    public List<String> notes() {
        return notes;
    }

    @Override
    public String toString() {
        int[] width = new int[columns.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = columns.get(i).length();
        }
        for (List<Object> r : rows) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], String.valueOf(r.get(i)).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, new ArrayList<>(columns), width);
        for (List<Object> r : rows) {
            line(sb, r, width);
        }
        notes.forEach(n -> sb.append(n).append('\n'));
        return sb.toString().stripTrailing();
    }

    private static void line(StringBuilder sb, List<?> cells, int[] width) {
        for (int i = 0; i < width.length; i++) {
            String c = String.valueOf(cells.get(i));
            sb.append(c);
            if (i < width.length - 1) {
                sb.append(" ".repeat(width[i] - c.length() + 2));
            }
        }
        sb.append('\n');
    }
}
