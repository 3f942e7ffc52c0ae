package hotcode.observer;

import jakarta.servlet.Servlet;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.wiring.BundleWiring;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

/**
 * Registers the Web Console plugin (a servlet service with the console's label property: the console picks it up and
 * serves it behind its own authentication) and, when the Felix Health Check API is wired, the health checks.
 */
public final class ObserverActivator implements BundleActivator {
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Override
    public void start(BundleContext ctx) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(ServletConstants.PLUGIN_LABEL, ObserverServlet.LABEL);
        props.put(ServletConstants.PLUGIN_TITLE, ObserverServlet.TITLE);
        props.put(ServletConstants.PLUGIN_CATEGORY, "Hotcode");
        registrations.add(ctx.registerService(Servlet.class, new ObserverServlet(), props));
        if (healthCheckApiWired(ctx)) {
            registrations.addAll(new HealthChecks(ctx).register(ctx));
        }
    }

    @Override
    public void stop(BundleContext ctx) {
        registrations.forEach(r -> {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // unregistered already (the framework is stopping)
            }
        });
        registrations.clear();
    }

    /** The optional import of org.apache.felix.hc.api resolved: the classes of HealthChecks can load. */
    private static boolean healthCheckApiWired(BundleContext ctx) {
        BundleWiring w = ctx.getBundle().adapt(BundleWiring.class);
        return w != null && w.getRequiredWires("osgi.wiring.package").stream()
                .anyMatch(x -> "org.apache.felix.hc.api".equals(x.getCapability().getAttributes().get("osgi.wiring.package")));
    }
}
