package hotcode.itest.counter;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Pid;

/**
 * The module {@code counter} of ServerUpgradeIT: its functions start servers. This set alone (no server class) is
 * the broken version "without the server class".
 */
public final class Counter {
    private Counter() {
    }

    /** Starts a server of this module's class {@code hotcode.itest.counter.CounterServer} with count {@code n}. */
    public static Pid start(Integer n, String mode) throws ClassNotFoundException {
        Class<?> server = Class.forName("hotcode.itest.counter.CounterServer", false, Counter.class.getClassLoader());
        return GenServer.start(server, new Object[] {n, mode});
    }
}
