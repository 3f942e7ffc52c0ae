package hotcode.cluster.impl;

import hotcode.runtime.api.From;
import hotcode.runtime.api.Reply;
import hotcode.runtime.api.Server;
import hotcode.runtime.api.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The storm's receiver, module {@code storm}: loaded as each version by {@link Storm#source} (a class loader of its own
 * per version), so an update migrates its servers across versions. Its state holds JDK types only, which pass every
 * version unchanged (the default codeChange). For each sender it keeps {count, last sequence number, duplicates or
 * reorders, gaps}; and, under {@code "@<version>"}, how many messages it took while running that version.
 */
public final class StormReceiver implements Server<Map<String, long[]>> {
    @Override
    public Map<String, long[]> init(Object arg) {
        return new HashMap<>();
    }

    @Override
    public Map<String, long[]> handleInfo(Object message, Map<String, long[]> s) {
        if (message instanceof Tuple t && t.size() == 2 && t.get(0) instanceof String sender && t.get(1) instanceof Long seq) {
            long[] r = s.computeIfAbsent(sender, k -> new long[4]);
            if (seq <= r[1]) {
                r[2]++; // delivered twice, or out of order
            } else {
                r[3] += seq - r[1] - 1; // skipped: to be accounted as a dead letter or in doubt
                r[1] = seq;
            }
            r[0]++;
            s.computeIfAbsent("@" + Storm.versionOf(getClass()), k -> new long[1])[0]++;
        }
        return s;
    }

    /**
     * Keeps the state (JDK types: every version reads it), except in version {@link Storm#FAILING_VERSION} on node
     * {@link Storm#FAILING_NODE}, which refuses it: the storm's coordinated load that must roll back everywhere.
     */
    @Override
    public Object codeChange(String oldVersion, Object oldState, Object extra) {
        String version = Storm.versionOf(getClass());
        if (version.equals(Storm.FAILING_VERSION) && hotcode.runtime.api.Hotcode.node().equals(Storm.FAILING_NODE)) {
            throw new IllegalStateException("storm " + version + " refuses the state of " + oldVersion + " on node "
                    + Storm.FAILING_NODE);
        }
        return oldState;
    }

    /** {@code report}: the state as sender -> [count, last, violations, gaps] and "@version" -> [count]. */
    @Override
    public Reply<Map<String, long[]>> handleCall(Object request, From from, Map<String, long[]> s) {
        Map<String, List<Long>> out = new HashMap<>();
        s.forEach((k, v) -> {
            List<Long> l = new ArrayList<>();
            for (long x : v) {
                l.add(x);
            }
            out.put(k, l);
        });
        return Reply.reply(out, s);
    }
}
