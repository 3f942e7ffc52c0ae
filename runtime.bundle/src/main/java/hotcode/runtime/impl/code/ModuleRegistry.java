package hotcode.runtime.impl.code;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.UndefException;
import hotcode.runtime.api.VersionInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToIntFunction;

/**
 * The code server's registry, after Erlang's code_server.erl: per module a current and an old version
 * ({@link ModuleSlot}). It answers the router's and the shell's questions without locking; the transitions are made
 * by the upgrade transaction and the purger ({@code impl.upgrade}) under each slot's lock, and announced here to the
 * listeners (the OSGi boundary anchors and restores, the shell publishes module commands).
 */
public final class ModuleRegistry {
    /** Told about loads and purges. */
    public interface Listener {
        default void loaded(ModuleVersion v, ModuleHeader header) {
        }

        /** Called with the module's lock held: must not block (e.g. an anchor's release is asynchronous). */
        default void purged(ModuleVersion v) {
        }
    }

    private final ConcurrentHashMap<String, ModuleSlot> modules = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** How many processes run a version, for {@link VersionInfo}: the process table knows, not the registry. */
    private final ToIntFunction<ModuleVersion> processesRunning;

    public ModuleRegistry(ToIntFunction<ModuleVersion> processesRunning) {
        this.processesRunning = processesRunning;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    // ------------------------------------------------------------------ slots (for the transitions)

    /** The module's slot, or null when the code server does not know it. */
    public ModuleSlot slot(String module) {
        return modules.get(module);
    }

    /**
     * The module's slot with its lock held (the caller unlocks it in a finally), or null when the code server does not
     * know the module. A slot that a purge dropped between the lookup and the lock is never returned.
     */
    public ModuleSlot lockSlot(String module) {
        for (;;) {
            ModuleSlot m = modules.get(module);
            if (m == null) {
                return null;
            }
            m.lock();
            if (modules.get(module) == m) {
                return m;
            }
            m.unlock();
        }
    }

    /**
     * The slot for {@code src}'s module, made if needed, with its lock held: the caller unlocks it in a finally. A
     * slot that a purge dropped between the lookup and the lock is never returned (a fresh one is made).
     */
    public ModuleSlot lockSlotFor(ModuleSource src) {
        String module = src.header().module();
        for (;;) {
            ModuleSlot m = modules.computeIfAbsent(module, n -> new ModuleSlot(n, src.symbolicName(), src.bundleId(), src.internal()));
            m.lock();
            if (modules.get(module) == m) {
                return m;
            }
            m.unlock();
        }
    }

    /**
     * Forgets a module with no version left whose bundle is gone: Erlang's non_existing. With the slot's lock held,
     * never in the middle of a load (the slot is being filled).
     */
    public void forgetIfEmpty(ModuleSlot m) {
        if (m.forgettable()) {
            modules.remove(m.name, m);
        }
    }

    public void announceLoaded(ModuleVersion v, ModuleHeader header) {
        for (Listener l : listeners) {
            l.loaded(v, header);
        }
    }

    public void announcePurged(ModuleVersion v) {
        for (Listener l : listeners) {
            l.purged(v);
        }
    }

    // ------------------------------------------------------------------ lookups (any thread, no lock)

    /** The current version, or undef naming the call that needed it. */
    public ModuleVersion current(String module, String function, int arity) {
        ModuleSlot m = modules.get(module);
        ModuleVersion v = m == null ? null : m.current();
        if (v == null) {
            ModuleVersion old = m == null ? null : m.old();
            throw new UndefException(module, function, arity, m == null ? "module " + module + " is not loaded"
                    : "module " + module + " has no current version" + (old != null ? " (only old code: " + old.label() + ")" : ""));
        }
        return v;
    }

    /** The current version, or an error naming the module. */
    public ModuleVersion currentVersion(String module) {
        ModuleSlot m = modules.get(module);
        ModuleVersion v = m == null ? null : m.current();
        if (v == null) {
            throw new HotcodeException("module " + module + (m == null ? " is not loaded" : " has no current version"));
        }
        return v;
    }

    public boolean isLoaded(String module) {
        ModuleSlot m = modules.get(module);
        return m != null && m.current() != null;
    }

    /** Whether the code server has loaded {@code module} from bundle {@code bundleId}, which is still installed. */
    public boolean providedBy(String module, long bundleId) {
        ModuleSlot m = modules.get(module);
        return m != null && m.bundleId() == bundleId && !m.bundleGone();
    }

    /** The module's versions; empty for a module the code server does not know, or one of its own (internal). */
    public Optional<ModuleInfo> which(String module) {
        ModuleSlot m = modules.get(module);
        return m == null || m.internal ? Optional.empty() : Optional.of(info(m));
    }

    /** Every module the code server knows, by name, but its own (internal) ones. */
    public List<ModuleInfo> modules() {
        List<ModuleInfo> out = new ArrayList<>();
        modules.values().stream().filter(m -> !m.internal).sorted(Comparator.comparing(ModuleSlot::name))
                .forEach(m -> out.add(info(m)));
        return out;
    }

    /** The known module names but the internal ones, sorted (for errors that list them). */
    public String names() {
        TreeSet<String> names = new TreeSet<>();
        modules.values().stream().filter(m -> !m.internal).forEach(m -> names.add(m.name));
        return String.join(", ", names);
    }

    /** The version a class belongs to (for spawning a lambda), or null outside every module. */
    public ModuleVersion versionOf(Class<?> type) {
        return Crossing.ownerOf(type);
    }

    /** Every version the code server holds now, current and old. */
    public List<ModuleVersion> versions() {
        List<ModuleVersion> out = new ArrayList<>();
        for (ModuleSlot m : modules.values()) {
            ModuleVersion c = m.current();
            ModuleVersion o = m.old();
            if (c != null) {
                out.add(c);
            }
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }

    public VersionInfo info(ModuleVersion v) {
        return new VersionInfo(v.module(), v.vsn(), v.version(), v.bundleId(), v.location(), processesRunning.applyAsInt(v));
    }

    private ModuleInfo info(ModuleSlot m) {
        return new ModuleInfo(m.name, m.status(), Optional.ofNullable(m.current()).map(this::info),
                Optional.ofNullable(m.old()).map(this::info));
    }
}
