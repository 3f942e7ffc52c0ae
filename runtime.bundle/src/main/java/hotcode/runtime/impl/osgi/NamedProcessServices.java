package hotcode.runtime.impl.osgi;

import hotcode.runtime.api.NamedProcess;
import hotcode.runtime.api.Pid;
import hotcode.runtime.impl.process.Names;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.impl.process.ProcessTable;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.util.Hashtable;

/** Publishes registered processes as {@link NamedProcess} services of the runtime bundle. */
public final class NamedProcessServices implements Names.Publisher {
    private final BundleContext context;
    private final ProcessTable processes;

    public NamedProcessServices(BundleContext context, ProcessTable processes) {
        this.context = context;
        this.processes = processes;
    }

    @Override
    public Object publish(String name, Proc process) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(NamedProcess.NAME_PROPERTY, name);
        props.put(NamedProcess.PID_PROPERTY, process.toString());
        NamedProcess service = new NamedProcess() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Pid pid() {
                return process;
            }

            @Override
            public void send(Object message) {
                processes.send(process, message);
            }

            @Override
            public String toString() {
                return name + " " + process;
            }
        };
        return context.registerService(NamedProcess.class, service, props);
    }

    @Override
    public void withdraw(Object handle) {
        try {
            ((ServiceRegistration<?>) handle).unregister();
        } catch (IllegalStateException e) {
            // already gone with the runtime bundle
        }
    }
}
