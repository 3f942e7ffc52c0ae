package hotcode.runtime.impl.code;

import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ModuleHeaderTest {
    private static final String OWNER = "bundle test.bsn 1.2.3 [42]";

    private static ModuleHeader parse(String value) {
        return ModuleHeader.parse(value, OWNER);
    }

    /** Parsing fails with a BadModuleException naming the bundle and containing each of {@code problem}. */
    private static void assertBad(String value, String... problem) {
        BadModuleException e = assertThrows(BadModuleException.class, () -> parse(value));
        String msg = e.getMessage();
        assertTrue("names the bundle: " + msg, msg.contains(OWNER));
        assertTrue("names the header: " + msg, msg.contains(ModuleHeader.NAME));
        for (String p : problem) {
            assertTrue("mentions \"" + p + "\": " + msg, msg.contains(p));
        }
    }

    // ------------------------------------------------------------------ valid

    @Test
    public void moduleAndClass() {
        assertEquals(new ModuleHeader("pingpong", "hotcode.pingpong.PingPong", List.of()),
                parse("pingpong;class=hotcode.pingpong.PingPong"));
    }

    @Test
    public void whitespaceAroundPartsIsIgnored() {
        assertEquals(new ModuleHeader("m", "a.b.C", List.of()), parse("  m ; class = a.b.C  "));
    }

    @Test
    public void classInADefaultPackageAndWithDollarSigns() {
        assertEquals("Main", parse("m;class=Main").entryClass());
        assertEquals("a.Outer$Inner", parse("m;class=a.Outer$Inner").entryClass());
    }

    @Test
    public void directiveStyleAssignmentIsAccepted() {
        assertEquals("a.B", parse("m;class:=a.B").entryClass());
    }

    @Test
    public void quotedClass() {
        assertEquals("a.B", parse("m;class=\"a.B\"").entryClass());
    }

    @Test
    public void singleCommandUnquoted() {
        assertEquals(List.of("start"), parse("m;class=a.B;commands=start").commands());
    }

    @Test
    public void quotedCommandsList() {
        ModuleHeader h = parse("m;class=a.B;commands=\"start, stop,status\"");
        assertEquals("m", h.module());
        assertEquals("a.B", h.entryClass());
        assertEquals(List.of("start", "stop", "status"), h.commands());
    }

    @Test
    public void attributesInAnyOrder() {
        ModuleHeader h = parse("m_2;commands=\"a,b\";class=x.Y");
        assertEquals(new ModuleHeader("m_2", "x.Y", List.of("a", "b")), h);
    }

    @Test
    public void semicolonInsideQuotesIsNotASeparator() {
        // a quoted value keeps its separators; the command list is then checked name by name
        assertBad("m;class=a.B;commands=\"a;b\"", "a;b", "not a function name");
    }

    // ------------------------------------------------------------------ malformed

    @Test
    public void empty() {
        assertBad("", "empty");
        assertBad("   ", "empty");
        BadModuleException e = assertThrows(BadModuleException.class, () -> parse(null));
        assertTrue(e.getMessage(), e.getMessage().contains(OWNER));
    }

    @Test
    public void missingClass() {
        assertBad("m", "class=");
        assertBad("m;commands=a", "class=");
    }

    @Test
    public void badModuleName() {
        assertBad("1m;class=a.B", "invalid module name", "1m");
        assertBad("my-mod;class=a.B", "invalid module name", "my-mod");
        assertBad(";class=a.B", "invalid module name");
        assertBad("a.b;class=a.B", "invalid module name", "a.b");
    }

    @Test
    public void twoModules() {
        assertBad("m1;class=a.B,m2;class=c.D", "more than one module");
        assertBad("m1,m2;class=a.B", "more than one module");
    }

    @Test
    public void commaInQuotedCommandsIsNotASecondModule() {
        assertEquals(List.of("a", "b"), parse("m;class=a.B;commands=\"a,b\"").commands());
    }

    @Test
    public void unknownAttribute() {
        assertBad("m;class=a.B;version=1", "unknown attribute", "version");
    }

    @Test
    public void attributeWithoutValue() {
        assertBad("m;class=a.B;lazy", "key=value", "lazy");
    }

    @Test
    public void unterminatedQuote() {
        assertBad("m;class=a.B;commands=\"a,b", "unterminated quote");
    }

    @Test
    public void badClassName() {
        assertBad("m;class=1a.B", "not a Java class name", "1a.B");
        assertBad("m;class=a..B", "not a Java class name");
        assertBad("m;class=", "not a Java class name");
    }

    @Test
    public void badCommandName() {
        assertBad("m;class=a.B;commands=\"ok,1bad\"", "1bad", "not a function name");
        assertBad("m;class=a.B;commands=\"a,,b\"", "not a function name");
    }

    // ------------------------------------------------------------------ as bnd writes it from @Module

    @Test
    public void theHeaderBndWritesFromTheAnnotationParses() {
        assertEquals(new ModuleHeader("pingpong", "hotcode.pingpong.PingPong", List.of("start")),
                parse("pingpong;class=\"hotcode.pingpong.PingPong\";commands=start"));
        assertEquals(new ModuleHeader("kv", "hotcode.kv.Kv", List.of("start", "put")),
                parse("kv;class=\"hotcode.kv.Kv\";commands=\"start,put\""));
        assertEquals(new ModuleHeader("m", "a.B", List.of()), parse("m;class=\"a.B\""));
    }

    /** Two annotated classes in one bundle: bnd joins their headers into two clauses, which the runtime refuses. */
    @Test
    public void twoAnnotatedClassesAreRefused() {
        assertBad("a;class=\"x.A\",b;class=\"x.B\"", "more than one module");
    }

    /** The capability the runtime declares (bnd.bnd) is the version the annotation requires. */
    @Test
    public void theRuntimeProvidesTheExtenderVersionTheAnnotationRequires() throws Exception {
        String bnd = java.nio.file.Files.readString(java.nio.file.Path.of("bnd.bnd"));
        assertTrue(bnd, bnd.contains("osgi.extender;osgi.extender=" + hotcode.runtime.api.Module.EXTENDER
                + ";version:Version=\"" + hotcode.runtime.api.Module.EXTENDER_VERSION + "\""));
    }
}
