package hotcode.runtime.impl;

import hotcode.runtime.impl.process.SystemMonitor;
import hotcode.runtime.testsupport.LogCapture;
import org.junit.Test;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** ConfigAdmin's updates of {@code hotcode.runtime}: typed or text values, refused values, deletion. */
public class RuntimeConfigurationTest {
    private final Config base = Config.read(Map.of("hotcode.purge.timeout.ms", "700")::get);
    private final List<Config> applied = new ArrayList<>();
    private final RuntimeConfiguration rc = new RuntimeConfiguration(base, applied::add);

    @Test
    public void noConfigurationAppliesNothing() {
        rc.updated(null);
        assertEquals(List.of(), applied);
        assertEquals(base, rc.current());
    }

    @Test
    public void typedAndTextValuesAreApplied() {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("service.pid", "hotcode.runtime");
        props.put("hotcode.purge.timeout.ms", 50L); // typed, as a .config file or the metatype gives it
        props.put("hotcode.monitor.long_message_queue", "10"); // text, as a .cfg file gives it
        props.put("hotcode.log.stacktraces", Boolean.TRUE);
        rc.updated(props);
        Config expected = new Config(50, 5000, new SystemMonitor.Settings(250, 1000, 10), 2000, 1000, true,
                Config.Warmup.BACKGROUND);
        assertEquals(List.of(expected), applied);
    }

    @Test
    public void aRefusedValueKeepsThePreviousOneAndDeletionGoesBackToTheFrameworkProperties() throws Exception {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("hotcode.purge.timeout.ms", "50");
        rc.updated(props);
        props.put("hotcode.purge.timeout.ms", "fifty");
        props.put("hotcode.migration.timeout.ms", "60");
        String log = LogCapture.during(() -> rc.updated(props));
        assertTrue(log, log.contains("WARNING hotcode.purge.timeout.ms=fifty is not a number of milliseconds from 0 to"
                + " 9223372036854775807; keeping the previous value, 50"));
        assertEquals(50, rc.current().purgeTimeoutMillis());
        assertEquals(60, rc.current().migrationTimeoutMillis());
        rc.updated(null);
        assertEquals(base, rc.current());
        assertEquals(3, applied.size());
        assertEquals(base, applied.get(2));
    }

    @Test
    public void aNewSpinTimeIsNamedAsNeedingARestart() throws Exception {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("hotcode.receive.spin.ns", "7");
        String log = LogCapture.during(() -> rc.updated(props));
        assertTrue(log, log.contains("hotcode.runtime: hotcode.receive.spin.ns=7 takes effect only when the runtime bundle"
                + " restarts"));
    }
}
