package ${package};

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Module;
import hotcode.runtime.api.Pid;

import static hotcode.runtime.api.Hotcode.tuple;

/**
 * The entry class of the module {@code ${moduleName}}: its functions are the public static methods here, entered
 * through qualified calls ({@code Hotcode.call("${moduleName}", "add", "apple")}, or {@code ${moduleName}:add apple}
 * in the console), which always run the module's current version.
 *
 * <p>One source for every version: v1 and v2 compile this file beside their own {@link TallyServer}, which is what
 * changes between versions (its state, its requests, its {@code codeChange}) and which names the version
 * ({@code TallyServer.VSN}). {@link Module} makes bnd write each version's {@code Hotcode-Module} header and its
 * requirement on the runtime.
 */
@Module(name = Entry.MODULE, commands = {"start", "add", "count", "total", "vsn"})
public final class Entry {
    /** The module's name; the server is registered under it too. */
    public static final String MODULE = "${moduleName}";

    private Entry() {
    }

    /** {@code ${moduleName}:start}: starts the server, registered as {@code ${moduleName}}; answers its pid. */
    public static Pid start() {
        Pid running = Hotcode.whereis(MODULE);
        return running != null ? running : GenServer.start(MODULE, TallyServer.class, null);
    }

    /** {@code ${moduleName}:add Key}: counts one more {@code Key}; answers the new count. */
    public static Object add(String key) {
        return GenServer.call(MODULE, tuple(TallyServer.ADD, key));
    }

    /** {@code ${moduleName}:count Key}: how many times {@code Key} was added. */
    public static Object count(String key) {
        return GenServer.call(MODULE, tuple(TallyServer.COUNT, key));
    }

    /** {@code ${moduleName}:total}: every add, all keys together (new in 2.0.0; 1.0.0's server does not know it). */
    public static Object total() {
        return GenServer.call(MODULE, TallyServer.TOTAL);
    }

    /** {@code ${moduleName}:vsn}: the version of the module that runs this command (always the current one). */
    public static String vsn() {
        return TallyServer.VSN;
    }
}
