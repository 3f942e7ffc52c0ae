package hotcode.itest.cstorm;

import hotcode.itest.vsn.CodeVersion;
import hotcode.runtime.api.From;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;

/**
 * A server of module cstorm, one per node ({@link ClusterStorm#start}), whose codeChange refuses version
 * {@value #FAILING_VERSION} on node {@value #FAILING_NODE} only: the storm's coordinated load that must roll back on
 * every node. Its state is the version it runs, which it answers to any call.
 */
public final class Guard implements Server<String> {
    public static final String FAILING_VERSION = "4.0.0", FAILING_NODE = "c";

    @Override
    public String init(Object arg) {
        return CodeVersion.of(Guard.class);
    }

    @Override
    public Reply<String> handleCall(Object request, From from, String state) {
        return Reply.reply(state, state);
    }

    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        String version = CodeVersion.of(Guard.class);
        if (version.equals(FAILING_VERSION) && Hotcode.node().equals(FAILING_NODE)) {
            throw new IllegalStateException("cstorm " + version + " refuses the state of " + oldVersion + " on node "
                    + FAILING_NODE);
        }
        return version;
    }
}
