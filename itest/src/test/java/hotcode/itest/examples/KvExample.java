package hotcode.itest.examples;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.util.LinkedHashMap;
import java.util.Map;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

import hotcode.itest.HotcodeOptions;
import hotcode.runtime.api.Atom;
import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Records;
import hotcode.runtime.api.Sys;
import hotcode.testing.Modules;

/**
 * The kv example (examples/) as the tests drive it: its jars (itest.properties keys {@code itest.bundle.kv.*}), its
 * registered names, and its terms. The tests never name a class of the example: they talk to it in terms (atoms,
 * tuples, strings) and read its state in the neutral form of {@link Records}, as another version of it would.
 */
final class KvExample {
    static final String MODULE = "kv";
    static final String BSN = "hotcode.kv";
    /** Registered names (see examples/kv.bundle/README.md). */
    static final String SUPERVISOR = "kv_sup";
    static final String SERVER = "kv";
    static final String AUDIT = "kv_audit";

    /** The itest.properties keys of the four versions. */
    static final String V1 = "itest.bundle.kv.v1";
    static final String V2 = "itest.bundle.kv.v2";
    static final String V2_BROKEN = "itest.bundle.kv.v2.broken";
    static final String V3 = "itest.bundle.kv.v3";

    static final Atom PUT = atom("put");
    static final Atom GET = atom("get");
    static final Atom APPEND = atom("append");
    static final Atom VSN = atom("vsn");
    static final Atom OK = atom("ok");
    static final Atom NONE = atom("none");
    static final Atom WROTE = atom("wrote");
    static final Atom REPORT = atom("report");
    static final Atom PING = atom("ping");
    static final Atom PONG = atom("pong");
    static final Atom PAUSE = atom("pause");
    static final Atom PAUSED = atom("paused");
    static final Atom RESUME = atom("resume");
    static final Atom SLEEP = atom("sleep");
    static final Atom SLEEPING = atom("sleeping");

    private KvExample() {
    }

    /** Installs and starts kv 1.0.0 (module {@code kv} becomes current). */
    static Bundle installV1() throws BundleException {
        Bundle b = Modules.install(HotcodeOptions.url(V1));
        assertEquals("1.0.0", Modules.currentVersion(MODULE));
        return b;
    }

    /** {@code kv:start}: the supervisor with the server ({@code kv}) and the audit worker ({@code kv_audit}). */
    static void startSupervisor() {
        Hotcode.call(MODULE, "start");
        assertNotNull(SUPERVISOR + " is registered", Hotcode.whereis(SUPERVISOR));
        assertNotNull(SERVER + " is registered", Hotcode.whereis(SERVER));
        assertNotNull(AUDIT + " is registered", Hotcode.whereis(AUDIT));
    }

    /** {@code update} of the kv bundle with the jar of {@code key} (what the console's {@code update <id> <url>} does). */
    static void update(Bundle kv, String key) throws Exception {
        Modules.update(kv, HotcodeOptions.url(key));
    }

    static Pid whereis(String name) {
        Pid p = Hotcode.whereis(name);
        assertNotNull(name + " is registered", p);
        return p;
    }

    static Object call(Object request) {
        return GenServer.call(SERVER, request);
    }

    static Object put(String key, String value) {
        return call(tuple(PUT, key, value));
    }

    /** The server's state in neutral form: records as maps of their components, in declaration order. */
    static Object state() {
        return Records.neutral(Sys.getState(SERVER));
    }

    /** Version 1's state, neutral: {@code {data={k=v...}}}. */
    static Map<String, Object> v1State(Map<String, String> data) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("data", new LinkedHashMap<>(data));
        return s;
    }

    /** Version 2's state, neutral: {@code {data={k={value=v, version=n}...}, writes=w}}. */
    static Map<String, Object> v2State(Map<String, Map<String, Object>> data, long writes) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("data", new LinkedHashMap<>(data));
        s.put("writes", writes);
        return s;
    }

    /** Version 3's state, neutral: version 2's plus {@code reads}. */
    static Map<String, Object> v3State(Map<String, Map<String, Object>> data, long writes, long reads) {
        Map<String, Object> s = v2State(data, writes);
        s.put("reads", reads);
        return s;
    }

    /** An entry of versions 2 and 3, neutral: {@code {value=v, version=n}}. */
    static Map<String, Object> entry(String value, int version) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("value", value);
        e.put("version", version);
        return e;
    }

    /** Version 1's data as version 2 and 3 hold it after their codeChange: every value an entry of version 1. */
    static Map<String, Map<String, Object>> migrated(Map<String, String> v1) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        v1.forEach((k, v) -> out.put(k, entry(v, 1)));
        return out;
    }
}
