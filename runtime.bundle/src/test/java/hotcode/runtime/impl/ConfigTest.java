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
        assertEquals(100, d.receiveSpins());
        assertFalse(d.logStacktraces());
        assertEquals(Config.Warmup.BACKGROUND, d.warmup());
    }

    @Test
    public void everySettingIsReadByItsPropertyName() {
        Config c = Config.read(Map.of(
                "hotcode.purge.timeout.ms", "100",
                "hotcode.migration.timeout.ms", " 200 ",
                "hotcode.monitor.interval.ms", "0",
                "hotcode.monitor.long_schedule.ms", "300",
                "hotcode.monitor.long_message_queue", "99999999999",
                "hotcode.receive.spins", "0",
                "hotcode.purge.check.ms", "0",
                "hotcode.log.stacktraces", "TRUE",
                "hotcode.warmup", "inline")::get);
        assertEquals(new Config(100, 200, new SystemMonitor.Settings(0, 300, Integer.MAX_VALUE), 0, 0, true,
                Config.Warmup.INLINE), c);
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
                "hotcode.receive.spins", "lots",
                "hotcode.log.stacktraces", "yes",
                "hotcode.warmup", "later")::get));
        assertEquals(Config.DEFAULTS, c[0]);
        for (String expected : new String[] {
            "WARNING hotcode.purge.timeout.ms=5s is not a number of milliseconds (0 or more); using the default, 5000",
            "WARNING hotcode.migration.timeout.ms=-1 is not a number of milliseconds (0 or more); using the default, 5000",
            "WARNING hotcode.receive.spins=lots is not a number of polls (0 or more); using the default, 100",
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
}
