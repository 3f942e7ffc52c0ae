package hotcode.shop.orders;

import hotcode.runtime.api.Hotcode;
import hotcode.shop.records.Item;

/**
 * The orders module, version 2.0.0: {@code orders:order Sku Qty} takes the quantity from the stock module
 * (a qualified call) and reads the {@link Item} it gets back. That item is of the library revision the stock module
 * is wired to: were stock on release 2 and orders on release 1, the cast below would fail. A release switches both.
 */
public final class Orders {
    static final String VSN = "2.0.0";

    private Orders() {
    }

    /** {@code orders:order Sku Qty}. */
    public static String order(String sku, String qty) {
        Object r = Hotcode.call("stock", "take", sku, Integer.valueOf(qty));
        if (!(r instanceof Item left)) {
            return "not ordered: " + r;
        }
        return "ordered " + qty + " " + sku + "; left: " + left.qty() + " " + left.unit() + " " + left.sku() + " (orders " + VSN + ")";
    }
}
