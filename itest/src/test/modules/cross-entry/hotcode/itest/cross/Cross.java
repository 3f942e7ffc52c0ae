package hotcode.itest.cross;

import hotcode.runtime.api.GenServer;
import hotcode.runtime.api.Pid;

/**
 * The entry of ReleaseIT's cross modules (two modules built from these sets): {@code start(Name, Peer)} starts a
 * server of this module registered as Name whose "both" request calls the server registered as Peer (of the other
 * module), so one call crosses both modules.
 */
public final class Cross {
    private Cross() {
    }

    public static Pid start(String name, String peer) throws ClassNotFoundException {
        Class<?> server = Class.forName("hotcode.itest.cross.CrossServer", false, Cross.class.getClassLoader());
        return GenServer.start(name, server, peer);
    }
}
