package hotcode.itest.mod;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** A Bundle-Activator whose start fails: the bundle cannot start, so the runtime must not load its module. */
public final class FailingActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        throw new IllegalStateException("FailingActivator refuses to start (on purpose, for BadInputIT)");
    }

    @Override
    public void stop(BundleContext context) {
    }
}
