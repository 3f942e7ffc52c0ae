package hotcode.itest.storm;

import hotcode.itest.vsn.CodeVersion;
import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * Test module "storm" (hotcode.itest.StormIT), one source set for every version: a version tells itself apart by the
 * {@code Bundle-Version} of the jar its class was loaded from ({@code hotcode.itest.vsn.CodeVersion}: so an old
 * version keeps reporting its own version after an update).
 *
 * <p>{@code receiver(Mod, Collector, Rng, Left)} takes any message. {@code {msg, S, Seq}} is reported at once to
 * Collector as {@code {got, S, Seq, self(), vsn()}} (a send: no exit check, so a message taken is always reported);
 * when {@code Left} reaches 0 the receiver re-enters the current version through a qualified tail call and draws a
 * new {@code Left} from {@code Rng} (a quarter of the draws mean "never", so those receivers stay behind on old code
 * until a purge kills them). {@code reenter} re-enters at once. {@code stop} ends the process. Anything else is
 * reported as {@code {unexpected, self(), Message}}.
 */
public final class Storm {
    private static final Atom MSG = atom("msg");
    private static final Atom GOT = atom("got");
    private static final Atom REENTER = atom("reenter");
    private static final Atom STOP = atom("stop");
    private static final Atom UNEXPECTED = atom("unexpected");
    private static final String VSN = CodeVersion.of(Storm.class);

    private Storm() {
    }

    public static String vsn() {
        return VSN;
    }

    public static Next receiver(String mod, Pid collector, long rng, int left) {
        Object m = receive();
        if (m instanceof Tuple t && t.isTagged(MSG, 3)) {
            send(collector, tuple(GOT, t.get(1), t.get(2), self(), VSN));
            if (left == 1) {
                long next = step(rng);
                return Next.call(mod, "receiver", mod, collector, next, draw(next));
            }
            int l = left - 1;
            return () -> receiver(mod, collector, rng, l);
        }
        if (m == REENTER) {
            return Next.call(mod, "receiver", mod, collector, rng, left);
        }
        if (m == STOP) {
            return Next.done();
        }
        send(collector, tuple(UNEXPECTED, self(), m));
        return () -> receiver(mod, collector, rng, left);
    }

    private static int draw(long rng) {
        int x = (int) (rng >>> 33);
        return (x & 3) == 0 ? Integer.MAX_VALUE : 1 + ((x >>> 2) & 31);
    }

    private static long step(long rng) {
        return rng * 6364136223846793005L + 1442695040888963407L;
    }
}
