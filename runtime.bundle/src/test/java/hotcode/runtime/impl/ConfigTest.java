package hotcode.runtime.impl;

import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.testsupport.LogCapture;
import org.junit.Test;

import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

/** One place reads the settings: the property names and defaults, and a warning naming each unusable value. */
public class ConfigTest {
    @Test
    public void nothingSetGivesTheDefaults() throws Exception {
        String log = LogCapture.during(() -> assertEquals(Config.DEFAULTS, Config.read(Map.<String, String>of()::get)));
        assertEquals("", log);
        Config d = Config.DEFAULTS;
        assertEquals(5000, d.purgeTimeoutMillis());
        assertEquals(5000, d.migrationTimeoutMillis());
        assertEquals(SystemMonitor.Settings.DEFAULTS, d.monitor());
        assertEquals(2000, d.receiveSpinNanos());
        assertFalse(d.logStacktraces());
        assertEquals(Config.Warmup.BACKGROUND, d.warmup());
        assertEquals(50, d.idleSpinMicros());
    }

    @Test
    public void theIdleCarriersWindowIsTakenWithinItsRange() throws Exception {
        assertEquals(10_000, Config.read(Map.of("hotcode.idle.spin.us", "10000")::get).idleSpinMicros());
        Config[] c = new Config[1];
        String log = LogCapture.during(() -> c[0] = Config.read(Map.of("hotcode.idle.spin.us", "10001")::get));
        assertEquals(50, c[0].idleSpinMicros());
        assertTrue(log, log.contains("WARNING hotcode.idle.spin.us=10001 is not a number of microseconds from 0 to"
                + " 10000; using the default, 50"));
    }

    @Test
    public void everySettingIsReadByItsPropertyName() {
        Map<String, String> props = new java.util.HashMap<>(Map.of(
                "hotcode.purge.timeout.ms", "100",
                "hotcode.migration.timeout.ms", " 200 ",
                "hotcode.monitor.interval.ms", "0",
                "hotcode.monitor.long_schedule.ms", "300",
                "hotcode.monitor.long_message_queue", "2147483647",
                "hotcode.receive.spin.ns", "0",
                "hotcode.purge.check.ms", "0",
                "hotcode.log.stacktraces", "TRUE",
                "hotcode.warmup", "inline",
                "hotcode.load.preload.classes", "0"));
        props.put("hotcode.idle.spin.us", "0");
        Config c = Config.read(props::get);
        assertEquals(new Config(100, 200, new SystemMonitor.Settings(0, 300, Integer.MAX_VALUE), 0, 0, true,
                Config.Warmup.INLINE, 0, 0), c);
    }

    @Test
    public void thePreloadLimitIsTakenWithinItsRangeAndInstalled() throws Exception {
        assertEquals(512, Config.DEFAULTS.preloadClasses());
        String[] log = new String[1];
        Config[] c = new Config[1];
        log[0] = LogCapture.during(() -> c[0] = Config.read(Map.of("hotcode.load.preload.classes", "70000")::get));
        assertEquals("out of range: the default", 512, c[0].preloadClasses());
        assertTrue(log[0], log[0].contains("hotcode.load.preload.classes"));
        assertEquals(64, Config.read(Map.of("hotcode.load.preload.classes", "64")::get).preloadClasses());
    }

    @Test
    public void theRetiredYieldSpinSettingIsNamedAndIgnored() throws Exception {
        Config[] c = new Config[1];
        String log = LogCapture.during(() -> c[0] = Config.read(Map.of("hotcode.receive.spins", "0")::get));
        assertEquals(Config.DEFAULTS, c[0]);
        assertTrue(log, log.contains("WARNING hotcode.receive.spins=0 is no longer read"));
        assertTrue(log, log.contains("hotcode.receive.spin.ns"));
    }

    @Test
    public void warmupTakesBackgroundTrueInlineAndFalse() {
        for (Map.Entry<String, Config.Warmup> e : Map.of("background", Config.Warmup.BACKGROUND, "true",
                Config.Warmup.BACKGROUND, "inline", Config.Warmup.INLINE, "false", Config.Warmup.OFF).entrySet()) {
            assertEquals(e.getKey(), e.getValue(), Config.read(Map.of("hotcode.warmup", e.getKey())::get).warmup());
        }
    }

    @Test
    public void anUnusableValueIsNamedInAWarningAndTheDefaultIsUsed() throws Exception {
        Config[] c = new Config[1];
        String log = LogCapture.during(() -> c[0] = Config.read(Map.of(
                "hotcode.purge.timeout.ms", "5s",
                "hotcode.migration.timeout.ms", "-1",
                "hotcode.receive.spin.ns", "lots",
                "hotcode.log.stacktraces", "yes",
                "hotcode.warmup", "later")::get));
        assertEquals(Config.DEFAULTS, c[0]);
        for (String expected : new String[] {
            "WARNING hotcode.purge.timeout.ms=5s is not a number of milliseconds from 0 to 9223372036854775807; using the default, 5000",
            "WARNING hotcode.migration.timeout.ms=-1 is not a number of milliseconds from 0 to 9223372036854775807; using the default, 5000",
            "WARNING hotcode.receive.spin.ns=lots is not a number of nanoseconds from 0 to 100000; using the default, 2000",
            "WARNING hotcode.log.stacktraces=yes is not true or false; using the default, false",
            "WARNING hotcode.warmup=later is not background, inline or false; using the default, background"}) {
            assertTrue(log, log.contains(expected));
        }
    }

    @Test
    public void theInstalledConfigurationIsCurrentUntilUninstalled() {
        Config mine = Config.read(Map.of("hotcode.log.stacktraces", "true")::get);
        Config.install(mine);
        try {
            assertSame(mine, Config.current());
        } finally {
            Config.uninstall(mine);
        }
        assertFalse("outside OSGi: the system properties'", Config.current() == mine);
    }

    @Test
    public void anOutOfRangeValueIsRefusedWithItsRange() throws Exception {
        Config[] c = new Config[1];
        String log = LogCapture.during(() -> c[0] = Config.read(Map.of(
                "hotcode.monitor.long_message_queue", "99999999999")::get));
        assertEquals(Config.DEFAULTS, c[0]);
        assertTrue(log, log.contains("WARNING hotcode.monitor.long_message_queue=99999999999 is not a number of"
                + " messages from 0 to 2147483647; using the default, 100000"));
    }

    @Test
    public void anUpdateKeepsThePreviousValueOfAnUnusableOneAndNamesKeyAndRange() throws Exception {
        Config base = Config.read(Map.of("hotcode.purge.timeout.ms", "700")::get);
        Config previous = Config.update(base, base, Map.of(
                "hotcode.purge.timeout.ms", "100",
                "hotcode.migration.timeout.ms", "200",
                "hotcode.log.stacktraces", "true")::get);
        assertEquals(100, previous.purgeTimeoutMillis());
        Config[] c = new Config[1];
        String log = LogCapture.during(() -> c[0] = Config.update(base, previous, Map.of(
                "hotcode.purge.timeout.ms", "-5",
                "hotcode.migration.timeout.ms", "300",
                "hotcode.monitor.long_message_queue", "2147483648",
                "hotcode.log.stacktraces", "1")::get));
        assertEquals(new Config(100, 300, SystemMonitor.Settings.DEFAULTS, 2000, 1000, true, Config.Warmup.BACKGROUND),
                c[0]);
        for (String expected : new String[] {
            "WARNING hotcode.purge.timeout.ms=-5 is not a number of milliseconds from 0 to 9223372036854775807;"
                    + " keeping the previous value, 100",
            "WARNING hotcode.monitor.long_message_queue=2147483648 is not a number of messages from 0 to 2147483647;"
                    + " keeping the previous value, 100000",
            "WARNING hotcode.log.stacktraces=1 is not true or false; keeping the previous value, true"}) {
            assertTrue(log, log.contains(expected));
        }
        assertFalse(log, log.contains("migration"));
    }

    @Test
    public void aKeyAnUpdateLeavesOutTakesTheFrameworkPropertysValue() {
        Config base = Config.read(Map.of("hotcode.purge.timeout.ms", "700")::get);
        Config previous = Config.update(base, base, Map.of("hotcode.purge.timeout.ms", "100")::get);
        assertEquals(100, previous.purgeTimeoutMillis());
        assertEquals(base, Config.update(base, previous, Map.<String, String>of()::get));
    }

    @Test
    public void theMetatypeDescribesEveryKeyConfigReads() throws Exception {
        java.util.Set<String> read = new java.util.TreeSet<>();
        Config.read(key -> {
            read.add(key);
            return null;
        });
        String xml;
        try (java.io.InputStream in = ConfigTest.class.getResourceAsStream("/OSGI-INF/metatype/hotcode.runtime.xml")) {
            xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        java.util.Set<String> described = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<AD id=\"([^\"]+)\"").matcher(xml);
        while (m.find()) {
            described.add(m.group(1));
        }
        assertTrue("looked up only to warn about it", read.remove(Config.RETIRED_SPINS));
        assertEquals(11, read.size());
        assertEquals(read, described);
    }
}
