package hotcode.shop.records;

/** An item in stock, release 2: the quantity has a unit ("pcs", "kg"). The record changes shape. */
public record Item(String sku, int qty, String unit) {
    @Override
    public String toString() {
        return qty + " " + unit + " " + sku;
    }
}
