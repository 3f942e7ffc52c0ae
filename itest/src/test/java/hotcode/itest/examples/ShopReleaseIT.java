package hotcode.itest.examples;

import static hotcode.testing.Modules.code;
import static hotcode.testing.Modules.currentVersion;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;


import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import hotcode.itest.HotcodeOptions;
import hotcode.itest.Itest;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.MigrationException;
import hotcode.testing.Modules;

/**
 * The shop release example (examples/shop/README.md) as its console session runs it: release 1 installs the
 * library and both modules; release 2 changes the library's record and both modules together, the stock server's
 * items migrated; release 2 again changes nothing; the downgrade to release 1 is refused (stock 1.0.0 cannot read
 * release 2's state) and release 2 keeps running with its state.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShopReleaseIT {
    @Configuration
    public Option[] config() {
        return HotcodeOptions.options();
    }

    private static String release(String file) {
        return HotcodeOptions.root().resolve("examples/shop").resolve(file).toString();
    }

    @Test
    public void theConsoleSessionOfTheReadme() throws Exception {
        assertTrue(code().installRelease(release("shop-1.release")).summary()
                .startsWith("installed release shop 1.0.0: 3 bundle(s) updated, 2 module(s) committed together"));
        Hotcode.call("stock", "start");
        assertEquals("5 x apple", Hotcode.call("stock", "add", "apple", "5").toString());
        Hotcode.call("stock", "add", "pear", "2");
        assertEquals("ordered 2 apple; left: 3 x apple (orders 1.0.0)", Hotcode.call("orders", "order", "apple", "2"));

        assertTrue(code().installRelease(release("shop-2.release")).summary()
                .contains("2 module(s) committed together ([orders 2.0.0, stock 2.0.0]), 1 server(s) migrated"));
        assertEquals("[3 pcs apple, 2 pcs pear] (stock 2.0.0)", Hotcode.call("stock", "show"));
        assertEquals("ordered 1 apple; left: 2 pcs apple (orders 2.0.0)", Hotcode.call("orders", "order", "apple", "1"));
        assertEquals("release shop 2.0.0 is current already: nothing changed",
                code().installRelease(release("shop-2.release")).summary());

        MigrationException e = Itest.assertThrows(MigrationException.class,
                () -> code().installRelease(code().releases().get(0).source()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("release shop 1.0.0 not installed, nothing changed")
                && e.getMessage().contains("release shop 2.0.0 stays current"));
        assertEquals("2.0.0", currentVersion("stock"));
        assertEquals("2.0.0", Modules.bundle("hotcode.shop.records").getVersion().toString());
        assertEquals("[2 pcs apple, 2 pcs pear] (stock 2.0.0)", Hotcode.call("stock", "show"));
    }
}
