package hotcode.runtime.impl.shell;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.CommandSession;
import org.junit.Test;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.testsupport.Agent;
import hotcode.runtime.testsupport.KernelTest;

/**
 * Console completion: an interactive gogo.jline session (one with {@code .completions}) gets the {@code complete}
 * lines once, at its first command; other sessions none; the candidates are the processes, names and modules of now.
 */
public class ShellCompletionTest extends KernelTest {
    /** A session: its variables, and the commands run through it. */
    private static CommandSession session(Map<String, Object> vars, List<String> executed) {
        return (CommandSession) Proxy.newProxyInstance(CommandSession.class.getClassLoader(),
                new Class<?>[] {CommandSession.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "get" -> vars.get((String) args[0]);
                    case "put" -> vars.put((String) args[0], args[1]);
                    case "execute" -> {
                        executed.add(args[0].toString());
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test(timeout = 60_000)
    public void anInteractiveSessionGetsTheCompleteLinesOnceAndOtherSessionsNone() {
        ShellCompletion c = new ShellCompletion(k.processes(), k.names(), k.codeServer());
        Map<String, Object> vars = new HashMap<>();
        vars.put(".completions", new HashMap<>());
        List<String> executed = new ArrayList<>();
        CommandSession interactive = session(vars, executed);
        c.beforeExecute(interactive, "prompt = 'g! '");
        assertEquals(ShellCompletion.lines(), executed);
        assertTrue(executed.contains("complete -c hotcode:info -a 'wi = ($.commandLine wordIndex); if { %(wi==1) } "
                + "{ hotcode:completions processes } { [ ] }'"));
        assertTrue(executed.stream().anyMatch(l -> l.startsWith("complete -c hotcode:purge ") && l.contains("modules")));
        assertTrue(executed.stream().anyMatch(l -> l.startsWith("complete -c hotcode:call ") && l.contains("names")));
        c.beforeExecute(interactive, "ps");
        assertEquals("once per session", ShellCompletion.lines().size(), executed.size());

        List<String> piped = new ArrayList<>();
        c.beforeExecute(session(new HashMap<>(), piped), "pingpong:start 3");
        assertEquals("a session without gogo.jline's completions is left alone", List.of(), piped);
    }

    @Test(timeout = 60_000)
    public void candidatesAreTheProcessesNamesAndModulesOfNow() throws Exception {
        ShellCompletion c = new ShellCompletion(k.processes(), k.names(), k.codeServer());
        Agent a = Agent.spawn();
        k.names().register("kv_server", k.processes().find(a.pid().id()));
        List<String> processes = c.completions("processes");
        assertTrue(processes.toString(), processes.contains("kv_server") && processes.contains(a.pid().toString()));
        assertEquals(List.of("kv_server"), c.completions("names"));
        assertEquals(k.codeServer().modules().stream().map(m -> m.name()).sorted().toList(), c.completions("modules"));
        HotcodeException e = assertThrows(HotcodeException.class, () -> c.completions("bundles"));
        assertEquals("completions: unknown kind bundles; use processes, names or modules", e.getMessage());
    }
}
