package hotcode.shop.records;

/** An item in stock, as release 1 of the shop knows it: a SKU and a quantity. */
public record Item(String sku, int qty) {
    @Override
    public String toString() {
        return qty + " x " + sku;
    }
}
