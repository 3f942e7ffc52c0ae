package hotcode.runtime.impl;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ManagedService;

import java.util.Dictionary;
import java.util.Hashtable;

/**
 * The {@link ManagedService} of {@link RuntimeConfiguration}: the only class that names ConfigAdmin's types, loaded
 * only when {@code org.osgi.service.cm} is wired (the runtime's import of it is optional).
 */
final class ManagedRuntimeConfiguration implements ManagedService {
    private final RuntimeConfiguration configuration;

    private ManagedRuntimeConfiguration(RuntimeConfiguration configuration) {
        this.configuration = configuration;
    }

    static AutoCloseable register(BundleContext context, RuntimeConfiguration configuration) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, RuntimeConfiguration.PID);
        ServiceRegistration<ManagedService> reg = context.registerService(ManagedService.class,
                new ManagedRuntimeConfiguration(configuration), props);
        return () -> {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle's stop
            }
        };
    }

    @Override
    public void updated(Dictionary<String, ?> properties) {
        configuration.updated(properties);
    }
}
