package hotcode.runtime.impl.process;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Pid;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registered process names, Erlang's register/whereis. Each name is also published (as an OSGi service, by the
 * runtime bundle) through a {@link Publisher}, and withdrawn when the process exits or the name is unregistered.
 */
public final class Names {
    /** Publishes a name somewhere others can find it; returns a handle to withdraw it. */
    public interface Publisher {
        Object publish(String name, Proc process);

        void withdraw(Object handle);
    }

    private final ConcurrentHashMap<String, Proc> byName = new ConcurrentHashMap<>();
    /** Each published name's handle: here rather than in the process, which only a registered one would use. */
    private final ConcurrentHashMap<String, Object> handles = new ConcurrentHashMap<>();
    private volatile Publisher publisher;

    public void publishWith(Publisher p) {
        this.publisher = p;
    }

    public void register(String name, Proc p) {
        Proc.effect();
        if (name == null || name.isBlank()) {
            throw new HotcodeException("register: a name must not be empty");
        }
        p.lock();
        try {
            if (!p.isAlive()) {
                throw new HotcodeException("register: cannot register " + name + " to " + p + ": noproc (it has exited)");
            }
            if (p.registeredName() != null) {
                throw new HotcodeException("register: " + p + " is already registered as " + p.registeredName());
            }
            Proc holder = byName.putIfAbsent(name, p);
            if (holder != null) {
                throw new HotcodeException("register: cannot register " + name + " to " + p + ": the name is already registered to " + holder);
            }
            p.registeredNameLocked(name);
        } finally {
            p.unlock();
        }
        Publisher pub = publisher;
        if (pub != null) {
            Object handle = pub.publish(name, p);
            boolean stale;
            p.lock();
            try {
                stale = !name.equals(p.registeredName());
                if (!stale) {
                    handles.put(name, handle);
                }
            } finally {
                p.unlock();
            }
            if (stale) {
                pub.withdraw(handle); // the process exited or unregistered while we published
            }
        }
    }

    public void unregister(String name) {
        Proc.effect();
        Proc p = byName.get(name);
        if (p == null) {
            throw new HotcodeException("unregister: no process is registered as " + name);
        }
        release(p, name);
    }

    public Pid whereis(String name) {
        Proc p = byName.get(name);
        return p != null && p.isAlive() ? p : null;
    }

    /** Name -> pid, sorted by name. */
    public Map<String, Pid> all() {
        return new TreeMap<>(byName);
    }

    void exited(Proc p) {
        String name = p.registeredName(); // no lock: release() decides under it
        if (name != null) {
            release(p, name);
        }
    }

    private void release(Proc p, String name) {
        Object handle;
        p.lock();
        try {
            if (!name.equals(p.registeredName())) {
                return;
            }
            p.registeredNameLocked(null);
            handle = handles.remove(name);
            byName.remove(name, p);
        } finally {
            p.unlock();
        }
        Publisher pub = publisher;
        if (pub != null && handle != null) {
            pub.withdraw(handle);
        }
    }
}
