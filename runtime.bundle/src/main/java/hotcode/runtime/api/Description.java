package hotcode.runtime.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a module function offered as a console command does, shown by the console's {@code help}: on a function of
 * the entry class named in {@link Module#commands()}, and optionally on its parameters.
 *
 * <pre>
 * &#64;Description("stores value under key; returns the previous value or nil")
 * public static Object put(&#64;Description("the key") String key, &#64;Description("the value") String value) { ... }
 * </pre>
 *
 * <p>{@code help kv:put} then prints the description and the parameters. The description is read from the current
 * version each time one is loaded, so a new version's text replaces the old one's.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.PARAMETER})
public @interface Description {
    /** One line saying what the function (or the parameter) is. */
    String value();
}
