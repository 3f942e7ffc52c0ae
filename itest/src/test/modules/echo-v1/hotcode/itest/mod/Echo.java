package hotcode.itest.mod;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Tuple;

import java.util.concurrent.Callable;

import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.receive;
import static hotcode.runtime.api.Hotcode.send;
import static hotcode.runtime.api.Hotcode.tuple;

/**
 * Test module "echo", version 1 (compiled at test time by hotcode.itest.TestModules; the module name is whatever the
 * bundle's Hotcode-Module header says, so the process gets it as an argument).
 *
 * <p>{@code loop(Mod, Owner)} answers requests {@code {Tag, From}} with {@code {Tag, Value}}:
 * {@code local} (vsn() by a local call), {@code qualified} (Mod:vsn()), {@code helper} (a class of this version's
 * bundle that nothing loaded before), {@code reenter} (acknowledges with the local vsn(), then re-enters the current
 * version through a qualified tail call), {@code hold} (acknowledges, then waits for {@code go} leaving every other
 * message queued; answers {@code {released, vsn()}}), {@code stop}. A message {@code {seq, N}} is echoed to Owner as
 * {@code {seq, N, vsn()}}.
 */
public final class Echo {
    private Echo() {
    }

    public static String vsn() {
        return "v1";
    }

    public static Next loop(String mod, Pid owner) {
        Object m = receive();
        if (m instanceof Tuple t && t.size() == 2 && t.get(0) instanceof Atom tag && t.get(1) instanceof Pid from) {
            switch (tag.name()) {
                case "local" -> send(from, tuple(tag, vsn()));
                case "qualified" -> send(from, tuple(tag, Hotcode.call(mod, "vsn")));
                case "helper" -> send(from, tuple(tag, new Helper().v()));
                case "reenter" -> {
                    send(from, tuple(tag, vsn()));
                    return Next.call(mod, "loop", mod, owner);
                }
                case "hold" -> {
                    send(from, tuple(tag, vsn()));
                    receive(atom("go"));
                    send(from, tuple(atom("released"), vsn()));
                }
                case "stop" -> {
                    return Next.done();
                }
                default -> send(from, tuple(atom("unknown"), tag));
            }
        } else if (m instanceof Tuple t && t.size() == 2 && t.get(0) == atom("seq")) {
            send(owner, tuple(atom("seq"), t.get(1), vsn()));
        }
        return () -> loop(mod, owner);
    }

    /** A fun of this version (version 1 only): tells {@code owner} {in_fun, vsn()}, waits for go, returns vsn(). */
    public static Callable<Object> parkingFun(Pid owner) {
        return () -> {
            send(owner, tuple(atom("in_fun"), vsn()));
            receive(atom("go"));
            return vsn();
        };
    }

    /** A fun of this version (version 1 only) that loads Helper, a class of this version's bundle, when called. */
    public static Callable<Object> helperFun() {
        return () -> new Helper().v();
    }
}
