package hotcode.runtime.impl.shell;

import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Terms;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;
import org.junit.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static hotcode.runtime.api.Hotcode.NOPROC;
import static hotcode.runtime.api.Hotcode.NORMAL;
import static hotcode.runtime.api.Hotcode.atom;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The console's {@code hotcode:send}, called as Gogo calls it. */
public class HotcodeCommandsTest extends KernelTest {
    private long noproc() {
        Long n = k.deadLetters().countsByReason().get("noproc");
        return n == null ? 0 : n;
    }

    /**
     * Regression: {@code hotcode:send} to a pid whose process had exited refused ("no process ... is alive") and
     * counted nothing, while {@code Hotcode.send} to the same pid counts a dead letter {@code noproc}.
     */
    @Test(timeout = 60_000)
    public void sendToAnExitedPidCountsADeadLetterNoprocAsHotcodeSendDoes() throws Exception {
        Agent a = Agent.spawn();
        Pid pid = a.pid();
        a.exitWith(NORMAL);
        assertTrue(k.processes().lookup(pid).awaitExit(TimeUnit.SECONDS.toMillis(WAIT)));
        assertNull("gone from the table", k.processes().find(pid.id()));
        HotcodeCommands commands =
                new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());

        assertEquals(pid + " is not alive: counted as a dead letter (noproc)",
                commands.send(String.valueOf(pid.id()), "{ping, 1}"));
        assertEquals(1, noproc());
        List<DeadLetter> recent = k.deadLetters().recent();
        DeadLetter last = recent.get(recent.size() - 1);
        assertEquals(pid.id(), last.to().id());
        assertEquals(pid.toString(), last.to().toString());
        assertEquals("{ping, 1}", Terms.format(last.message()));
        assertSame(NOPROC, last.reason());

        assertEquals(pid + " is not alive: counted as a dead letter (noproc)", commands.send(pid.toString(), "pong"));
        assertEquals(2, noproc());
        String table = commands.deadletters().toString();
        assertTrue(table, table.startsWith("AT") && table.contains("FROM"));
        assertTrue("the console is no process: the sender is unknown\n" + table, table.contains("unknown"));
    }

    @Test(timeout = 60_000)
    public void sendToAPidThisRuntimeNeverMadeIsRefusedAndCountsNothing() {
        HotcodeCommands commands =
                new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());
        HotcodeException e = assertThrows(HotcodeException.class, () -> commands.send("999999999", "ping"));
        assertTrue(e.getMessage(), e.getMessage().contains("no process <0.999999999.0> is alive"));
        assertEquals(0, k.deadLetters().count());
    }

    @Test(timeout = 60_000)
    public void sendToALiveProcessDelivers() {
        Agent a = Agent.spawn();
        HotcodeCommands commands =
                new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());
        assertEquals("sent hello to " + a.pid(), commands.send(String.valueOf(a.pid().id()), "hello"));
        assertEquals(atom("hello"), a.receive(atom("hello")));
        assertEquals(0, k.deadLetters().count());
    }

    /** {@code info} took only a pid, while {@code send} and {@code call} take a registered name too. */
    @Test(timeout = 60_000)
    public void infoAcceptsARegisteredNameAsSendDoes() {
        Agent a = Agent.spawn();
        k.names().register("infoee", k.processes().lookup(a.pid()));
        HotcodeCommands commands =
                new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer());
        // the two infos below are compared whole: the agent must have reached its receive (runnable, then waiting)
        long deadline = System.currentTimeMillis() + 10_000;
        while (!k.processes().info(a.pid()).status().equals("waiting") && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }

        Table byName = commands.info("infoee");
        assertEquals(List.of("pid", a.pid()), byName.rows().get(0));
        assertEquals(List.of("registered_name", "infoee"), byName.rows().get(1));
        assertEquals(byName.toString(), commands.info(String.valueOf(a.pid().id())).toString());
        HotcodeException e = assertThrows(HotcodeException.class, () -> commands.info("nobody"));
        assertTrue(e.getMessage(), e.getMessage().contains("no process is registered as nobody"));
    }

    /** A purge that killed thousands of processes printed every pid: the output is capped, with the count. */
    @Test
    public void purgeOutputListsAScreenfulOfPidsAndTheCount() {
        List<Pid> many = new java.util.ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            long id = i;
            many.add(new Pid() { // a pid as a value: describe only prints it
                public long id() {
                    return id;
                }

                @Override
                public String toString() {
                    return "<0." + id + ".0>";
                }
            });
        }
        String killed = HotcodeCommands.describe(new hotcode.runtime.api.PurgeResult("m", true, many, List.of()));
        assertTrue(killed, killed.startsWith("purged m: killed 1000 processes: [<0.1.0>, <0.2.0>, "));
        assertTrue(killed, killed.endsWith(", <0.20.0>, ... 980 more]"));
        String blocked = HotcodeCommands.describe(new hotcode.runtime.api.PurgeResult("m", false, List.of(), many));
        assertTrue(blocked, blocked.startsWith("not purged: m's old code is still run by 1000 processes: [<0.1.0>, "));
        assertTrue(blocked, blocked.endsWith("... 980 more]"));
        List<Pid> few = many.subList(0, 3);
        assertEquals("purged m: killed [<0.1.0>, <0.2.0>, <0.3.0>]",
                HotcodeCommands.describe(new hotcode.runtime.api.PurgeResult("m", true, few, List.of())));
    }
}
