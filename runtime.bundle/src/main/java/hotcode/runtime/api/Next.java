package hotcode.runtime.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The next step of a process: process loops are tail calls. A process body does its work and <em>returns</em> the
 * step to run after it instead of calling it, and the runtime's trampoline runs that step on an empty stack, so a loop
 * that runs forever never grows the stack, and switching versions leaves no old frame behind.
 *
 * <pre>{@code
 * public static Next loop(int n) {
 *     Object msg = receive();
 *     ...
 *     return () -> loop(n + 1);                    // local tail call: stays in this version
 *     return Next.call("counter", "loop", n + 1);  // qualified tail call: enters the current version
 *     return Next.done();                          // the process exits with reason normal
 * }
 * }</pre>
 */
@ConsumerType
@FunctionalInterface
public interface Next {
    /** Runs this step and returns the one after it, or {@code null} when the process is done. */
    Next run();

    /**
     * A qualified tail call, Erlang's {@code ?MODULE:function(Args)} in tail position: the process continues in the
     * <em>current</em> version of {@code module}, and no longer counts as running the version it leaves. The function
     * must return a {@link Next} (or {@code null}). Resolution happens when the step runs, not when it is made.
     */
    static Next call(String module, String function, Object... args) {
        return new QualifiedCall(module, function, args);
    }

    /** The step that ends the process with exit reason {@code normal}. */
    static Next done() {
        return null;
    }
}
