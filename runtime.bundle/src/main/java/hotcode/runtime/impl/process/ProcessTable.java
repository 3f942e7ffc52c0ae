package hotcode.runtime.impl.process;

import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Ref;
import hotcode.runtime.impl.code.ModuleVersion;
import hotcode.runtime.impl.log.Log;
import hotcode.runtime.spi.node.Encoded;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static hotcode.runtime.api.Hotcode.NOPROC;

/**
 * Every live process, by pid, and the operations between two processes (send, link, monitor, exit). Owned by the
 * runtime bundle, so processes and their mailboxes outlive every module bundle.
 */
public final class ProcessTable {
    private final AtomicLong ids = new AtomicLong();
    /**
     * Pids of the runtime's own processes (those of internal modules: the start-up warm-ups) count down from -1, so
     * they are told apart without a field in every process, are left out of {@link #pids()}, and the pids of user
     * processes do not depend on whether a warm-up ran first: the first user process is {@code <0.1.0>}.
     */
    private final AtomicLong internalIds = new AtomicLong();
    /** Every live process: the process is its own entry, no node per process (see there). */
    private final ProcessSet live = new ProcessSet();
    private final ThreadFactory threads = Thread.ofVirtual().factory();
    private final DeadLetterOffice deadLetters;
    private final Names names;

    public ProcessTable(DeadLetterOffice deadLetters, Names names) {
        this.deadLetters = deadLetters;
        this.names = names;
    }

    // ------------------------------------------------------------------ API

    /**
     * Starts a process whose first step is {@code first}, with {@code version} as its first frame (null: the step
     * resolves its own, as a qualified call does), linked to {@code linkTo} when that is not null.
     */
    public Proc spawn(Next first, ModuleVersion version, Proc linkTo) {
        return spawn(first, version, "fun", linkTo, null);
    }

    /** {@link #spawn(Next, ModuleVersion, Proc)}, naming the first frame's function and the behaviour it runs. */
    public Proc spawn(Next first, ModuleVersion version, String function, Proc linkTo, Proc.ExitHook behaviour) {
        Proc.effect();
        long id = version != null && version.isInternal() ? internalIds.decrementAndGet() : ids.incrementAndGet();
        Proc p = new Proc(id, this, first, version, function, first.getClass().getClassLoader(), threads);
        p.behaviour(behaviour);
        live.add(p);
        if (linkTo != null) {
            linkTo.link(p);
        }
        p.start();
        return p;
    }

    /** The process behind {@code pid}, dead or alive; a clear error for a pid this runtime did not make. */
    public Proc lookup(Pid pid) {
        if (pid instanceof Proc p && owns(p)) {
            return p;
        }
        throw new HotcodeException("not a pid of this runtime: " + pid
                + (pid == null ? "" : " (" + pid.getClass().getName() + ")"));
    }

    public void send(Pid to, Object message) {
        if (message == null) {
            throw new HotcodeException("cannot send null to " + to + ": null is not a message");
        }
        Proc target = lookup(to);
        Proc sender = Proc.effect(); // looked up once: the wake-up record and a dead letter need it too
        // No exit check here, as in Erlang: a message a process has received always reaches the code after the
        // receive; the process unwinds at its next receive, sleep, qualified call or loop step.
        if (!target.deliver(message, sender)) {
            deadLetters.record(target, message, NOPROC, sender);
        }
    }

    public void exit(Pid pid, Object reason) {
        Proc sender = Proc.effect();
        Proc target = lookup(pid);
        if (target == sender && reason == hotcode.runtime.api.Hotcode.NORMAL && !sender.trapsExits()) {
            // exit(self(), normal) ends the caller, as in Erlang; a process trapping exits gets {'EXIT', Self, normal}
            throw new hotcode.runtime.api.ExitException(reason);
        }
        target.exitSignal(sender, reason);
        if (sender != null) {
            sender.checkExit(); // exit(self(), Reason) takes effect at once
        }
    }

    public void link(Proc self, Pid other) {
        Proc.effect();
        self.link(lookup(other));
        self.checkExit();
    }

    public void unlink(Proc self, Pid other) {
        Proc.effect();
        self.unlink(lookup(other));
    }

    public Ref monitor(Proc self, Pid target) {
        Proc.effect();
        return self.monitor(lookup(target));
    }

    public void demonitor(Proc self, Ref ref) {
        Proc.effect();
        self.demonitor(ref);
    }

    /** Whether {@code p} is a process of this table (of this runtime), dead or alive. */
    public boolean owns(Proc p) {
        return p.table() == this;
    }

    public Proc find(long id) {
        return live.find(id);
    }

    /**
     * Counts a message for process number {@code id}, which {@link #find} no longer finds (it has exited), as a dead
     * letter {@code noproc}, as {@link #send} counts one to the pid of an exited process: for the console, which has
     * only the number. False, and nothing counted, for a number this runtime has not given out.
     */
    public boolean deadLetterToExited(long id, Object message) {
        return deadLetterToExited(id, message, null);
    }

    /** {@link #deadLetterToExited(long, Object)} of a message sent by {@code from} (null: unknown). */
    public boolean deadLetterToExited(long id, Object message, Pid from) {
        if (id <= 0 || id > ids.get()) {
            return false;
        }
        deadLetters.record(new ExitedPid(id), message, NOPROC, from);
        return true;
    }

    /**
     * Stands for a process that has exited and left the table, when only its number is known: a pid for the dead
     * letter's record, never for a live process.
     */
    private record ExitedPid(long id) implements Pid {
        @Override
        public String toString() {
            return "<0." + id + ".0>";
        }
    }

    /** Processes spawned so far, the runtime's own (internal) ones excluded: the highest pid number given out. */
    public long spawned() {
        return ids.get();
    }

    /** Live processes, the runtime's own (internal) ones included. */
    public int count() {
        return live.size();
    }

    /** Live processes, by pid order, without the runtime's own (internal) ones: what ps and {@code processes()} show. */
    public List<Pid> pids() {
        List<Pid> out = new ArrayList<>(live.size());
        live.forEach(p -> {
            if (!p.isInternal()) {
                out.add(p);
            }
        });
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A snapshot of the process behind {@code pid}, dead or alive, for the console. */
    public ProcessInfo info(Pid pid) {
        Proc p = lookup(pid);
        ModuleVersion v = p.topVersion();
        return new ProcessInfo(p, p.registeredName(), v == null ? null : v.module(), v == null ? null : v.version(),
                v != null && v.isOld(), p.state().name().toLowerCase(Locale.ROOT), p.mailboxLength(),
                p.frames(), p.runsOldCode(), p.trapsExits(), p.links(), p.monitors(), p.monitoredBy());
    }

    /**
     * Waits up to {@code millis} for the process behind {@code pid} to have terminated completely (dead letters
     * counted, links and monitors told); true if it has. Then {@link #exitReason} says why.
     */
    public boolean awaitExit(Pid pid, long millis) throws InterruptedException {
        return lookup(pid).awaitExit(millis);
    }

    /** The reason the process behind {@code pid} exited with, or null while it has not. */
    public Object exitReason(Pid pid) {
        return lookup(pid).exitReason();
    }

    /**
     * Calls {@code visitor} with every process in the table (the system monitor's sample), one stripe's copy at a time:
     * never the whole table at once ({@link ProcessSet#forEach}).
     */
    void forEachLive(java.util.function.Consumer<Proc> visitor) {
        live.forEach(visitor);
    }

    /** Live processes matching {@code filter}. */
    public List<Proc> select(Predicate<Proc> filter) {
        List<Proc> out = new ArrayList<>();
        live.forEach(p -> {
            if (p.isAlive() && filter.test(p)) { // an exiting process (still in the table a moment) counts no more
                out.add(p);
            }
        });
        return out;
    }

    /**
     * Ends every process (reason {@code shutdown}) and waits for them, up to {@code millis}: the runtime is stopping.
     * The messages this leaves undeliverable are counted as dead letters and logged as one line, not one each (see
     * {@link DeadLetterOffice#stopping}).
     */
    public void killAll(long millis) throws InterruptedException {
        deadLetters.stopping();
        try {
            List<Proc> all = new ArrayList<>(live.size());
            live.forEach(all::add);
            all.forEach(Proc::shutdown);
            long deadline = System.currentTimeMillis() + millis;
            for (Proc p : all) {
                p.awaitExit(deadline - System.currentTimeMillis());
            }
        } finally {
            deadLetters.stopped();
        }
    }

    // ------------------------------------------------------------------ callbacks from Proc

    void exited(Proc p, Object reason, List<Object> undelivered) {
        live.remove(p);
        names.exited(p);
        for (Object m : undelivered) {
            if (m instanceof Encoded e) {
                // one from another node, never received: recorded as its value (decoded for the record), naming its
                // sender, as its dead letter noproc does (NodeHooks.send); a local message's sender is not kept
                deadLetters.record(p, e.value(), reason, e.from());
            } else {
                deadLetters.record(p, m, reason);
            }
        }
    }

    void crashed(Proc p, Throwable t) {
        List<String> frames = p.frames();
        Log.error("process " + p + (frames.isEmpty() ? "" : " in " + frames.get(frames.size() - 1))
                + " crashed: " + t, t);
    }

    void deadLetter(Proc to, Object message, Object reason) {
        deadLetters.record(to, message, reason);
    }
}
