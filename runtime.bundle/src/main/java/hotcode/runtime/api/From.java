package hotcode.runtime.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The caller of a {@link GenServer#call}, as {@link Server#handleCall} sees it: pass it to {@link GenServer#reply}
 * to answer later. A caller that has given up (its timeout passed) no longer takes the answer: a late reply is
 * counted as a dead letter with reason {@code timeout}.
 */
@ProviderType
public interface From {
    /** The calling process, or null for a caller outside every process (the shell, a test thread). */
    Pid caller();

    /** Whether the caller is still waiting for the answer. */
    boolean isWaiting();
}
