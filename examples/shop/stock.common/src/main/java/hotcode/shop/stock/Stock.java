package hotcode.shop.stock;

import hotcode.runtime.api.GenServer;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The stock module, the same in every version (only {@link StockServer} changes, and says its version): a server
 * registered as {@code stock} keeps the items
 * ({@code hotcode.shop.records.Item}, from the library bundle). {@code stock:start}, {@code stock:add Sku Qty} and
 * {@code stock:show} are console commands; {@code take/2} is what the orders module calls.
 */
public final class Stock {
    private Stock() {
    }

    /** {@code stock:start}: the server, registered as {@code stock}. */
    public static String start() {
        return "stock started: " + GenServer.start("stock", StockServer.class, null);
    }

    /** {@code stock:add Sku Qty} → the item now. */
    public static Object add(String sku, String qty) {
        return GenServer.call("stock", tuple(atom("add"), sku, Integer.valueOf(qty)));
    }

    /** {@code stock:show} → every item, and the version of the server that answers. */
    public static Object show() {
        return GenServer.call("stock", atom("show"));
    }

    /** {@code stock:take(Sku, Qty)} → the item left, or a string saying why not (called by orders). */
    public static Object take(String sku, Integer qty) {
        return GenServer.call("stock", tuple(atom("take"), sku, qty));
    }
}
