package hotcode.runtime.api;

import hotcode.runtime.spi.Access;

/**
 * Names that span the cluster, Erlang's {@code global} module: a name registered here is seen by every node and is
 * removed when its process exits or its node leaves the cluster. Registration is decided by the cluster's coordinator,
 * so two nodes of one cluster cannot take the same name. After a partition heals, two halves may each hold the name;
 * the registration of the pid whose node name sorts first (then the older incarnation) is kept, the other is removed
 * and its process gets {@code {global_name_conflict, Name, Winner}}. Needs the cluster bundle.
 *
 * @since 0.6.0
 */
public final class Global {
    private Global() {
    }

    /**
     * {@code global:register_name}: registers {@code pid} as {@code name} (at most 255 bytes of UTF-8; a longer one
     * throws {@link HotcodeException}); false when the name is taken. The same process registering its name again gets
     * true.
     */
    public static boolean register(String name, Pid pid) {
        return Access.get().registerGlobal(name, pid);
    }

    /** {@code global:unregister_name}; nothing happens when the name is not registered. */
    public static void unregister(String name) {
        Access.get().unregisterGlobal(name);
    }

    /** {@code global:whereis_name}: the pid registered as {@code name}, or null. */
    public static Pid whereis(String name) {
        return Access.get().whereisGlobal(name);
    }

    /** {@code global:send}: sends to the pid registered as {@code name}; fails naming the name when there is none. */
    public static void send(String name, Object message) {
        Pid pid = whereis(name);
        if (pid == null) {
            throw new HotcodeException("badarg: no process is registered globally as " + name + " (message "
                    + message + " not sent)");
        }
        Hotcode.send(pid, message);
    }
}
