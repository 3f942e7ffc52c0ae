/**
 * The Hotcode test kit: Pax Exam tests of Hotcode modules on a real Felix framework.
 *
 * <ul>
 * <li>{@link hotcode.testing.HotcodeExam}: the Pax Exam options (framework, runtime, this kit's bundle), read on the
 *     host side in a test's {@code @Configuration};</li>
 * <li>inside the framework, from test methods: {@link hotcode.testing.Modules} (install a module, update it to a jar,
 *     refresh and wait for the purge, what the code server holds), {@link hotcode.testing.Await} (waits with a
 *     timeout, a process's exit), {@link hotcode.testing.Inbox} (a process owned by the test that collects the
 *     messages sent to it; monitors and links) and {@link hotcode.testing.DeadLetters} (nothing lost).</li>
 * </ul>
 *
 * <p>Every failure is an {@link java.lang.AssertionError} (the kit needs no JUnit inside the framework) that names
 * what it waited for: the module, the pid, the jar.
 */
@org.osgi.annotation.versioning.Version("0.1.0")
package hotcode.testing;
