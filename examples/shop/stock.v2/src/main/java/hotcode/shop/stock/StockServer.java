package hotcode.shop.stock;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;
import hotcode.shop.records.Item;

import java.util.Map;
import java.util.TreeMap;

/**
 * The stock server, 2.0.0: the same map, of release 2's {@link Item} (with a unit). Its codeChange reads release 1's
 * items by their components (they are of the old library's classes, which this version cannot name) and gives each
 * the unit "pcs".
 */
public final class StockServer implements Server<StockServer.State> {
    /** This version: the only place it is written (Stock.java, in ../stock.common, is the same in every version). */
    static final String VSN = "2.0.0";

    public record State(Map<String, Item> items) {
    }

    @Override
    public State init(Object arg) {
        return new State(new TreeMap<>());
    }

    @Override
    public Reply<State> handleCall(Object request, From from, State s) {
        if (request instanceof Tuple t && t.size() == 3) {
            String sku = (String) t.get(1);
            int qty = (Integer) t.get(2);
            Item had = s.items().getOrDefault(sku, new Item(sku, 0, "pcs"));
            Map<String, Item> items = new TreeMap<>(s.items());
            switch (t.get(0).toString()) {
                case "add" -> items.put(sku, new Item(sku, had.qty() + qty, had.unit()));
                case "take" -> {
                    if (had.qty() < qty) {
                        return Reply.reply("only " + had, s);
                    }
                    items.put(sku, new Item(sku, had.qty() - qty, had.unit()));
                }
                default -> {
                    return Reply.reply("unknown " + request, s);
                }
            }
            return Reply.reply(items.get(sku), new State(items));
        }
        return Reply.reply(s.items().values() + " (stock " + VSN + ")", s);
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        Map<String, Item> items = new TreeMap<>();
        Map<?, ?> old = (Map<?, ?>) Records.fields(oldState).get("items");
        old.forEach((sku, item) -> items.put((String) sku, Records.convert(item, Item.class, Map.of("unit", "pcs"))));
        return new State(items);
    }
}
