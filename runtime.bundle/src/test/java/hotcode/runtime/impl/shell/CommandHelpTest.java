package hotcode.runtime.impl.shell;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Function;
import org.junit.Test;

/**
 * The generated help class: what Gogo's {@code help} reflects on (methods named as the commands, with their
 * {@code @Descriptor}s and parameter types), while {@code execute} runs the command itself.
 */
public class CommandHelpTest {
    record Point(int x, int y) { // a module's own type: shown as Object
    }

    @Test
    public void theHelpClassDescribesEachCommandFunctionAndArity() throws Exception {
        List<CommandHelp.Signature> help = List.of(
                new CommandHelp.Signature("put", List.of(String.class, Object.class), "stores a value",
                        Arrays.asList("the key", null)),
                new CommandHelp.Signature("put", List.of(String.class, long.class, double.class), null,
                        Arrays.asList(null, null, null)),
                new CommandHelp.Signature("size", List.of(), "how many keys", List.of()));
        Class<? extends CommandHelp> c = CommandHelp.define(help);
        List<Method> puts = new ArrayList<>(Arrays.stream(c.getMethods()).filter(m -> m.getName().equals("put")).toList());
        puts.sort(Comparator.comparingInt(Method::getParameterCount));
        assertEquals(2, puts.size());
        assertArrayEquals(new Class<?>[] {String.class, Object.class}, puts.get(0).getParameterTypes());
        assertEquals("stores a value", puts.get(0).getAnnotation(Descriptor.class).value());
        assertEquals("the key", ((Descriptor) puts.get(0).getParameterAnnotations()[0][0]).value());
        assertEquals(0, puts.get(0).getParameterAnnotations()[1].length);
        assertArrayEquals(new Class<?>[] {String.class, long.class, double.class}, puts.get(1).getParameterTypes());
        assertNull(puts.get(1).getAnnotation(Descriptor.class));
        Method size = c.getMethod("size");
        assertEquals("how many keys", size.getAnnotation(Descriptor.class).value());
    }

    @Test
    public void executeRunsTheCommandNotTheDescribingMethod() throws Exception {
        Class<? extends CommandHelp> c = CommandHelp.define(List.of(
                new CommandHelp.Signature("get", List.of(String.class), "reads", Arrays.asList((String) null))));
        Object answer = new Object();
        List<Object> seen = new ArrayList<>();
        Function f = CommandHelp.of((session, args) -> {
            seen.addAll(args);
            return answer;
        }, c);
        assertSame(answer, f.execute(null, List.of("k")));
        assertEquals(List.of("k"), seen);
    }

    @Test
    public void typesOfTheModuleAndArraysAreShownAsObject() {
        assertSame(Object.class, CommandHelp.shown(Point.class));
        assertSame(Object.class, CommandHelp.shown(String[].class));
        assertSame(int.class, CommandHelp.shown(int.class));
        assertSame(Long.class, CommandHelp.shown(Long.class));
        assertSame(String.class, CommandHelp.shown(String.class));
    }
}
