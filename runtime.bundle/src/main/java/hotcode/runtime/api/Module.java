package hotcode.runtime.api;

import org.osgi.annotation.bundle.Header;
import org.osgi.annotation.bundle.Requirement;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes the annotated class the entry class of a Hotcode module: bnd (bnd-maven-plugin, Bndtools, the bnd Gradle
 * plugins) writes the bundle's {@code Hotcode-Module: <name>;class=<this class>[;commands="f1,f2"]} header and a
 * requirement on the runtime's extender capability, {@code osgi.extender=hotcode.module} of version
 * {@value #EXTENDER_VERSION} up to the next major version, so a resolver (bnd-resolve, Karaf features) pulls the
 * runtime in for the module. Instead of writing the header in {@code bnd.bnd}:
 *
 * <pre>
 * &#64;Module(name = "pingpong", commands = "start")
 * public final class PingPong { ... }
 * </pre>
 *
 * <p>One module per bundle, so one annotated class per bundle. The annotation is not retained at runtime; what the
 * runtime reads is the header. A bundle with two annotated classes (or an annotated class and a hand-written header
 * for another module) gets a header with two clauses, and a module name that is not letters, digits and {@code _}
 * starting with a letter is not refused by bnd: the runtime refuses such a bundle when it starts, with an error naming
 * the bundle and the rule, and loads nothing of it. The hand-written header works as before.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
@Header(name = "Hotcode-Module", value = "${#name};class=${@class};${if;${#commands};commands=\"${#commands}\"}")
@Requirement(namespace = "osgi.extender", name = Module.EXTENDER, version = Module.EXTENDER_VERSION)
public @interface Module {
    /** The name of the extender the runtime provides: {@code osgi.extender=hotcode.module}. */
    String EXTENDER = "hotcode.module";

    /**
     * The version of the module contract (the header and what the runtime does with it) that this annotation requires
     * and the runtime provides; a module requires it up to the next major version.
     */
    String EXTENDER_VERSION = "1.0.0";

    /** The module's name: letters, digits and {@code _}, starting with a letter (as an Erlang atom). */
    String name();

    /** Functions of the entry class offered as console commands {@code <name>:<function>}. */
    String[] commands() default {};
}
