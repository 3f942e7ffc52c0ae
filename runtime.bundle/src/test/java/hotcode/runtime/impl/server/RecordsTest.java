package hotcode.runtime.impl.server;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Records;
import org.junit.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/** Reading one version's state in another: records by component name, and the neutral form. */
public class RecordsTest {
    enum ColorV1 { RED, GREEN }

    enum ColorV2 { RED, GREEN, BLUE }

    record ItemV1(String name, int qty, ColorV1 color) {
    }

    record StoreV1(Map<String, ItemV1> items, List<ItemV1> history, int version) {
    }

    record ItemV2(String name, long qty, ColorV2 color, Optional<String> note) {
    }

    record StoreV2(Map<String, ItemV2> items, List<ItemV2> history, long version, Set<String> tags) {
    }

    @Test
    public void recordsConvertByComponentNameThroughCollectionsEnumsAndWidening() {
        ItemV1 a = new ItemV1("a", 2, ColorV1.GREEN);
        StoreV1 old = new StoreV1(Map.of("a", a), List.of(a, new ItemV1("b", 1, ColorV1.RED)), 3);
        try {
            Records.convert(old, StoreV3.class);
            fail("tags has no value");
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("StoreV3.tags") && e.getMessage().contains("Map.of(\"tags\""));
        }
        try {
            Records.convert(old, StoreV2.class, Map.of("tags", Set.of("x")));
            fail("ItemV2.note has no value");
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("StoreV2.items[a].note"));
        }
    }

    record ItemV3(String name, long qty, ColorV2 color) {
    }

    record StoreV3(Map<String, ItemV3> items, List<ItemV3> history, long version, Set<String> tags) {
    }

    @Test
    public void aFullConversion() {
        ItemV1 a = new ItemV1("a", 2, ColorV1.GREEN);
        StoreV1 old = new StoreV1(Map.of("a", a), List.of(a, new ItemV1("b", 1, ColorV1.RED)), 3);
        StoreV3 s = Records.convert(old, StoreV3.class, Map.of("tags", Set.of("x")));
        assertEquals(new StoreV3(Map.of("a", new ItemV3("a", 2L, ColorV2.GREEN)),
                List.of(new ItemV3("a", 2L, ColorV2.GREEN), new ItemV3("b", 1L, ColorV2.RED)), 3L, Set.of("x")), s);
    }

    @Test
    public void theNeutralFormIsMapsListsAndAtoms() {
        ItemV1 a = new ItemV1("a", 2, ColorV1.GREEN);
        Map<String, Object> f = Records.fields(new StoreV1(Map.of("a", a), List.of(a), 1));
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("name", "a");
        item.put("qty", 2);
        item.put("color", Atom.of("GREEN"));
        assertEquals(Map.of("a", item), f.get("items"));
        assertEquals(List.of(item), f.get("history"));
        assertEquals(List.of("items", "history", "version"), List.copyOf(f.keySet()));
        assertEquals(new ItemV3("a", 2L, ColorV2.GREEN), Records.convert(item, ItemV3.class));
    }

    @Test
    public void wrongTypesAndNonRecordsFailNamingWhere() {
        record Bad(String qty) {
        }
        record Target(int qty) {
        }
        try {
            Records.convert(new Bad("x"), Target.class);
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("Target.qty") && e.getMessage().contains("java.lang.String"));
        }
        record Narrow(long qty) {
        }
        try {
            Records.convert(new Narrow(5L), Target.class);
            fail("no narrowing");
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("only widening"));
        }
        try {
            Records.fields("not a record");
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not a record"));
        }
        try {
            Records.convert(new Bad("x"), ColorV2.class.asSubclass(Object.class));
            fail();
        } catch (HotcodeException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("is not a record"));
        }
    }
}
