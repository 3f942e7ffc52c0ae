package hotcode.runtime.impl.code;

import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.shell.HotcodeCommands;
import hotcode.runtime.impl.shell.Table;
import hotcode.runtime.testmod.Mod;
import hotcode.runtime.testsupport.KernelTest;
import hotcode.runtime.testsupport.LogCapture;
import hotcode.runtime.testsupport.Modules;
import org.junit.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The runtime's internal modules (the start-up warm-ups', marked by {@link ModuleSource#internal()}, not recognised
 * by name): never listed, never logged, their processes on pids of their own that ps and {@code processes()} do not
 * show; and a process spawned from a runtime class while one is loaded stays a user process.
 */
public class InternalModuleTest extends KernelTest {
    private static final String INTERNAL = "test.internal";

    @Test
    public void anInternalModuleIsNeitherListedNorLogged() throws Exception {
        String log = LogCapture.during(() -> {
            Modules.load(k, "m", Mod.class, "1.0.0"); // a user module beside it: that one is listed and logged
            ModuleVersion v1 = k.code().load(ModuleSource.internal(INTERNAL, Mod.class, "1.0.0", -7));
            assertTrue(v1.isInternal());
            ModuleVersion v2 = k.code().load(ModuleSource.internal(INTERNAL, Mod.class, "2.0.0", -7));
            assertTrue("v1 is old now", v1.isOld() && v2.isInternal());
            assertEquals(List.of("m"), k.codeServer().modules().stream().map(i -> i.name()).toList());
            assertEquals(Optional.empty(), k.codeServer().which(INTERNAL));
            HotcodeException e = assertThrows(HotcodeException.class, () -> k.codeServer().load(INTERNAL, "file:x.jar"));
            assertTrue(e.getMessage(), e.getMessage().contains("no module named " + INTERNAL));
            assertFalse("the known modules it lists: " + e.getMessage(), e.getMessage().contains(INTERNAL + ","));
            assertFalse(e.getMessage(), e.getMessage().replace("no module named " + INTERNAL, "").contains(INTERNAL));
            k.code().uninstalled(INTERNAL, -7); // delete (and purge of the old version)
            assertTrue(k.codeServer().purge(INTERNAL).purged());
        });
        assertTrue("the user module is logged: " + log, log.contains("loaded m 1.0.0"));
        assertFalse("the internal module is not: " + log, log.contains(INTERNAL));
        assertTrue("forgotten: " + k.registry().versions(), k.registry().versions().stream().noneMatch(ModuleVersion::isInternal));
    }

    @Test(timeout = 60_000)
    public void processesOfAnInternalModuleHaveOwnPidsThatPsAndProcessesDoNotShow() throws Exception {
        ModuleVersion v = k.code().load(Modules.internal(INTERNAL, Mod.class, "1.0.0", -7));
        Proc internal = k.processes().spawn(Next.call(INTERNAL, "loop", out), v, null);
        Modules.load(k, "m", Mod.class, "1.0.0");
        Pid user = Hotcode.spawn("m", "loop", out);
        assertTrue(internal.isInternal() && internal.id() < 0);
        assertEquals("the first user process is <0.1.0>, whatever internal ones ran first", "<0.1.0>", user.toString());
        assertEquals(List.of(user), Hotcode.processes());
        Table ps = new HotcodeCommands(k.processes(), k.names(), k.deadLetters(), k.monitor(), k.codeServer()).ps(true);
        assertEquals(List.of(user), ps.rows().stream().map(r -> r.get(0)).toList());
        assertTrue(ps.toString(), ps.toString().contains("1 processes"));
        assertEquals("the table still holds both", 2, k.processes().count());
        Hotcode.send(internal, "local");
        assertEquals("v1", next()); // it runs as any process does
    }

    @Test(timeout = 60_000)
    public void aProcessSpawnedFromARuntimeClassIsAUserProcessWhileAnInternalModuleIsLoaded() throws Exception {
        Modules.load(k, "m", Mod.class, "1.0.0");
        // the internal module's code comes from the runtime's class loader, as the warm-ups' does
        k.code().load(ModuleSource.internal(INTERNAL, Mod.class, "1.0.0", -7));
        Pid p = Hotcode.spawn(Next.call("m", "loop", out)); // the step is a runtime class (QualifiedCall)
        assertTrue("a user pid: " + p, ((Proc) p).id() > 0);
        assertEquals(List.of(p), Hotcode.processes());
        k.code().uninstalled(INTERNAL, -7);
        k.codeServer().purge(INTERNAL);
        assertTrue("the internal module's purge left it alone", Hotcode.isAlive(p));
        assertEquals("v1", ask(p, "local"));
    }
}
