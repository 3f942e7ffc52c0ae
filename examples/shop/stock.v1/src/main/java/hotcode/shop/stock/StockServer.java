package hotcode.shop.stock;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;
import hotcode.shop.records.Item;

import java.util.Map;
import java.util.TreeMap;

/** The stock server, 1.0.0: a map of SKU to {@link Item}. */
public final class StockServer implements Server<StockServer.State> {
    /** This version: the only place it is written (Stock.java, in ../stock.common, is the same in every version). */
    static final String VSN = "1.0.0";

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
            Item had = s.items().getOrDefault(sku, new Item(sku, 0));
            Map<String, Item> items = new TreeMap<>(s.items());
            switch (t.get(0).toString()) {
                case "add" -> items.put(sku, new Item(sku, had.qty() + qty));
                case "take" -> {
                    if (had.qty() < qty) {
                        return Reply.reply("only " + had, s);
                    }
                    items.put(sku, new Item(sku, had.qty() - qty));
                }
                default -> {
                    return Reply.reply("unknown " + request, s);
                }
            }
            return Reply.reply(items.get(sku), new State(items));
        }
        return Reply.reply(s.items().values() + " (stock " + VSN + ")", s);
    }
}
