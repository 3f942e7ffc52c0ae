package hotcode.runtime.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The OSGi service the runtime publishes for each registered process, with service properties
 * {@value #NAME_PROPERTY} and {@value #PID_PROPERTY}. It is registered by the runtime bundle, so it survives
 * updates and refreshes of the process's module.
 */
@ProviderType
public interface NamedProcess {
    String NAME_PROPERTY = "hotcode.process.name";
    String PID_PROPERTY = "hotcode.process.pid";

    String name();

    Pid pid();

    /** Sends {@code message} to the process, as {@link Hotcode#send(Pid, Object)}. */
    void send(Object message);
}
