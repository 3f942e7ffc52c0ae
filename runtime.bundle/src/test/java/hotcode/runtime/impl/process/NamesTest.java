package hotcode.runtime.impl.process;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** A registered name's publication is withdrawn, with its own handle, when the name is released. */
public class NamesTest extends KernelTest {
    private final List<String> events = new CopyOnWriteArrayList<>();

    private void recordPublications() {
        k.names().publishWith(new Names.Publisher() {
            @Override
            public Object publish(String name, Proc process) {
                events.add("publish " + name + " " + process);
                return "handle of " + name + " " + process;
            }

            @Override
            public void withdraw(Object handle) {
                events.add("withdraw " + handle);
            }
        });
    }

    @Test(timeout = 60_000)
    public void unregisterAndExitWithdrawTheNameWithItsOwnHandle() throws Exception {
        recordPublications();
        Agent a = Agent.spawn();
        Agent b = Agent.spawn();
        Hotcode.register("svc", a.pid());
        Hotcode.unregister("svc");
        Hotcode.register("svc", b.pid()); // the same name, another process: its handle is its own
        b.exitWith(atom("done"));
        assertTrue(k.processes().lookup(b.pid()).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        assertEquals(List.of(
                "publish svc " + a.pid(), "withdraw handle of svc " + a.pid(),
                "publish svc " + b.pid(), "withdraw handle of svc " + b.pid()), events);
        Hotcode.register("svc", a.pid());
        assertEquals(a.pid(), Hotcode.whereis("svc"));
    }
}
