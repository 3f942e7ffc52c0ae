package hotcode.itest.tools;

import hotcode.itest.vsn.CodeVersion;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.self;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * Test module "tools" (compiled at test time by hotcode.itest.TestModules; used by CodeServerIT). One source for
 * every version: the sets tools-v1 and tools-v2 are this source built as version 1 and 2, and {@code vsn()} answers
 * {@code "v1"}, {@code "v2"} (hotcode.itest.vsn.CodeVersion).
 *
 * <p>{@code vsn()}; {@code fun()}: a Supplier made by this version (Erlang's fun), which answers
 * {@code "fun-v1/part-v1"} in version 1 through a local call and a class of this version that nothing loaded before
 * it is first called; {@code spin(Release, Owner, MaxMillis)}: a process step that tells Owner {@code {spinning, self()}}, then
 * spins on Release (a volatile read, no runtime call, so no exit signal can reach it) until it is set or MaxMillis
 * passed, then waits in receive;
 * {@code spinLast/3}: the same, then ends.
 */
public final class Tools {
    private static final String VSN = CodeVersion.tag(Tools.class);

    private Tools() {
    }

    public static String vsn() {
        return VSN;
    }

    public static Supplier<String> fun() {
        return () -> "fun-" + vsn() + "/" + new FunPart().v();
    }

    public static Next spin(AtomicBoolean release, Pid owner, long maxMillis) {
        Next after = () -> idle(); // made before spinning: the continuation needs nothing loaded after a purge
        send(owner, tuple(atom("spinning"), self()));
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        while (!release.get() && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        return after;
    }

    /** As spin/3, but the spinning step is the process's last: it returns Next.done(). */
    public static Next spinLast(AtomicBoolean release, Pid owner, long maxMillis) {
        send(owner, tuple(atom("spinning"), self()));
        long end = System.nanoTime() + maxMillis * 1_000_000L;
        while (!release.get() && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        return Next.done();
    }

    public static Next idle() {
        receive();
        return () -> idle();
    }
}
