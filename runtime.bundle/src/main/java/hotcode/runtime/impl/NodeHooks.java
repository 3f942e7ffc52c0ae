package hotcode.runtime.impl;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.impl.code.Crossing;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.process.Proc;
import hotcode.runtime.spi.node.LocalNode;
import hotcode.runtime.spi.node.NodeTransport;

import java.util.Map;
import java.util.TreeMap;

import static hotcode.runtime.api.Hotcode.EXIT;
import static hotcode.runtime.api.Hotcode.KILL;
import static hotcode.runtime.api.Hotcode.NOPROC;
import static hotcode.runtime.api.Hotcode.NORMAL;

/**
 * The runtime's end of a node ({@link LocalNode}): what the cluster bundle may do with the kernel. Kept apart from
 * {@link Kernel} so that the kernel carries only the transport field and the one type check on {@code send}.
 */
public final class NodeHooks implements LocalNode {
    private final Kernel kernel;

    NodeHooks(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public void attach(NodeTransport t) {
        kernel.attach(t);
    }

    @Override
    public void detach(NodeTransport t) {
        kernel.detach(t);
    }

    @Override
    public Pid spawn(Next body) {
        return kernel.spawn(body, false);
    }

    @Override
    public void send(Pid local, Object message) {
        kernel.processes().send(local, message);
    }

    @Override
    public Ref monitor(Pid target) {
        return kernel.processes().monitor(Proc.current("monitor"), target);
    }

    @Override
    public void demonitor(Ref ref) {
        kernel.processes().demonitor(Proc.current("demonitor"), ref);
    }

    @Override
    public Pid pid(long id) {
        Proc p = kernel.processes().find(id);
        return p != null && p.isAlive() ? p : null;
    }

    @Override
    public void send(long id, Object message) {
        Proc p = kernel.processes().find(id);
        if (p != null && p.deliver(message)) { // as ProcessTable.send, whose dead letter would not name the sender
            return;
        }
        // never received: the record shows the value, not its encoded form, and names its sender
        Pid from = null;
        Object value = message;
        if (message instanceof hotcode.runtime.spi.node.Encoded e) {
            from = e.from();
            value = e.value();
        }
        if (p != null) {
            kernel.deadLetters().record(p, value, NOPROC, from); // it exited just now
        } else if (!kernel.processes().deadLetterToExited(id, value, from)) {
            // a number this runtime never gave out (a forged or corrupted frame): counted all the same, never dropped
            kernel.deadLetters().record(new hotcode.runtime.spi.node.RemotePid(
                    kernel.nodeName(), 0, id, 0), value, NOPROC, from);
        }
    }

    @Override
    public void exitSignal(Pid local, Pid from, Object reason, boolean link) {
        Proc p = kernel.processes().lookup(local);
        exitFrom(kernel, p, from, reason, link);
    }

    /**
     * An exit signal from a pid that is not a local process (a remote one, or one whose node is gone): the rules of
     * {@code Proc.exitSignal}/{@code linkExit}, with {@code from} named in the {@code 'EXIT'} message. Whether the
     * target traps exits is read once: a process switching trap_exit at that instant gets either behaviour, as it
     * could with a local signal arriving just before or after the switch.
     */
    static void exitFrom(Kernel kernel, Proc p, Pid from, Object reason, boolean link) {
        if (reason == null) {
            throw new HotcodeException("exit: the reason must not be null (use an atom such as normal or kill)");
        }
        if (!p.isAlive()) {
            return;
        }
        boolean untrappable = reason == KILL && !link;
        if (p.trapsExits() && !untrappable) {
            Tuple exit = Tuple.of(EXIT, from, reason);
            if (!p.deliver(exit)) {
                kernel.deadLetters().record(p, exit, NOPROC);
            }
        } else if (reason != NORMAL) {
            p.exitSignal(null, reason); // kill becomes killed there
        }
    }

    @Override
    public void deadLetter(Pid to, Object message, Atom reason) {
        kernel.deadLetters().record(to, message, reason);
    }

    @Override
    public void deadLetter(Pid to, Object message, Atom reason, Pid from) {
        kernel.deadLetters().record(to, message, reason, from);
    }

    @Override
    public Pid self() {
        Proc p = Proc.currentOrNull();
        // null for a process of another kernel (a test's); asked on every send to another node, so no table lookup
        return p != null && kernel.processes().owns(p) ? p : null;
    }

    @Override
    public String[] moduleOf(Class<?> type) {
        ModuleVersion v = Crossing.ownerOf(type);
        return v == null ? null : new String[] {v.module(), v.version()};
    }

    @Override
    public ClassLoader loader(String module, String version) {
        for (ModuleVersion v : kernel.registry().versions()) {
            if (v.module().equals(module) && v.version().equals(version) && !v.isPurged()) {
                return v.loader();
            }
        }
        return null;
    }

    @Override
    public Map<String, String> moduleVersions() {
        Map<String, String> out = new TreeMap<>();
        for (ModuleVersion v : kernel.registry().versions()) {
            if (!v.isOld() && !v.isInternal()) {
                out.put(v.module(), v.version());
            }
        }
        return out;
    }

    @Override
    public hotcode.runtime.api.ReleaseResult installRelease(String url, hotcode.runtime.spi.node.ReleaseBarrier barrier) {
        hotcode.runtime.spi.node.ReleaseBarrier.set(barrier);
        try {
            return kernel.codeServer().installRelease(url);
        } finally {
            hotcode.runtime.spi.node.ReleaseBarrier.set(null);
        }
    }

    @Override
    public hotcode.runtime.api.VersionInfo load(String module, String url, hotcode.runtime.spi.node.ReleaseBarrier barrier) {
        // the module's bundle starts on this thread (Felix delivers STARTED synchronously), so its upgrade sees it
        hotcode.runtime.spi.node.ReleaseBarrier.set(barrier);
        try {
            return kernel.codeServer().load(module, url);
        } finally {
            hotcode.runtime.spi.node.ReleaseBarrier.set(null);
        }
    }

    @Override
    public Map<String, Long> deadLettersByReason() {
        return kernel.deadLetters().countsByReason();
    }

    @Override
    public Object serve(String request, java.util.List<Object> args) {
        if (request.startsWith("observer.")) { // the Web Console page of another node (impl.NodeObservation)
            return kernel.observationImpl().nodes().serve(request, args);
        }
        return hotcode.runtime.impl.shell.Inspect.neutral(switch (request) {
            case "ps" -> hotcode.runtime.impl.shell.Inspect.ps(kernel.processes(), kernel.monitor(),
                    args.size() == 1 && Boolean.TRUE.equals(args.get(0)));
            case "modules" -> hotcode.runtime.impl.shell.Inspect.modules(kernel.codeServer());
            case "info" -> {
                if (args.size() != 1 || !(args.get(0) instanceof Long id)) {
                    throw new HotcodeException("info: a process number was expected, not " + args);
                }
                Proc p = kernel.processes().find(id);
                if (p == null || !p.isAlive()) {
                    throw new HotcodeException("no process <0." + id + ".0> is alive on node " + kernel.nodeName());
                }
                yield hotcode.runtime.impl.shell.Inspect.info(kernel.processes().info(p));
            }
            default -> throw new HotcodeException("node " + kernel.nodeName() + " answers ps, info, modules and the"
                    + " observer's " + NodeObservation.REQUESTS + ", not " + request);
        });
    }
}
