package hotcode.itest;

import static hotcode.itest.Itest.code;
import static hotcode.itest.Itest.context;
import static hotcode.runtime.api.Hotcode.atom;
import static hotcode.runtime.api.Hotcode.tuple;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleRevisions;
import org.osgi.framework.wiring.BundleWiring;

import hotcode.runtime.api.Atom;
import hotcode.runtime.api.DeadLetter;
import hotcode.runtime.api.Hotcode;
import hotcode.runtime.api.HotcodeException;
import hotcode.runtime.api.ModuleInfo;
import hotcode.runtime.api.Next;
import hotcode.runtime.api.Pid;
import hotcode.runtime.api.Terms;
import hotcode.runtime.api.Tuple;
import hotcode.runtime.api.VersionInfo;

/**
 * The storm: many messages in flight while a module is updated and refreshed over and over; not one may be lost,
 * duplicated or reordered.
 *
 * <p>{@value #SENDERS} sender processes send {@code {msg, SenderIndex, Seq}} to {@value #RECEIVERS} receiver processes
 * of the module {@code storm} (each message to a receiver picked at random; {@code Seq} counts from 1 per
 * (sender, receiver pid)). Meanwhile the module bundle is updated {@value #UPDATES} times, alternating between two jars
 * of one symbolic name and Bundle-Versions 1.0.0 / 2.0.0 (bytes built once), and refreshed {@value #REFRESHES} times,
 * each refresh right after a randomly chosen update (so there is always old code to purge), with a random pause
 * before every operation. Receivers re-enter the current version through a qualified tail call every K-th message (K
 * random per stint, or never), and on a {@code reenter} message that a sender adds after one message in
 * {@value #REENTER_ONE_IN}. Receivers still on old code are killed by the next purge (by an update or a refresh); a
 * supervisor process owned by the test monitors every receiver and replaces a dead one by a new receiver in the same
 * slot of a shared array, from which the senders pick their targets (a sender may still pick a dead pid: its message
 * is then a dead letter {@code noproc}).
 *
 * <p><b>Bookkeeping.</b> A receiver reports every message it takes to a collector process owned by the test
 * ({@code {got, S, Seq, Receiver, Vsn}}; a send never checks for an exit signal, so a message taken is always
 * reported). The collector records the report, per (sender, receiver), in arrival order; the dead-letter subscriber
 * ({@link Hotcode#subscribeDeadLetters}) records every dead {@code {msg, ...}} with its reason.
 *
 * <p><b>Flow control: a window per sender.</b> A sender has at most {@value #WINDOW} messages that are neither
 * acknowledged nor dead: the collector sends the sender {@code ack} for each report, the dead-letter subscriber sends
 * it {@code ack} for each dead {@code {msg, ...}}; a sender with a full window waits for an ack. So at most
 * {@value #SENDERS} x {@value #WINDOW} counted messages are in flight (plus as many {@code reenter} messages at most),
 * whatever the upgrades do. A sender that waits {@value #STALL_SECONDS} s for an ack gives up (a lost message or a
 * hang); the analysis then names what is missing.
 *
 * <p><b>Checks</b> (after the senders stopped, every message was acknowledged, and a final refresh): per
 * (sender, receiver) every Seq from 1 to the last sent is delivered or dead-lettered exactly once (lost = 0,
 * duplicated = 0); delivered Seqs arrive increasing (reordered = 0), and the outcomes are in mailbox order: delivered,
 * then dead with reason {@code killed} (left in the mailbox of a killed receiver), then dead with {@code noproc} (sent
 * after it exited); sent = delivered + dead-lettered; every dead letter has a reason, {@code killed} or {@code noproc};
 * receivers only ever exit {@code killed}; no process crashed or got an unexpected message. Along the way: right after
 * every update the current and the old version each have an active anchor bundle (docs/DESIGN.md), and every refresh
 * leaves no old code; after the final refresh no receiver runs old code.
 *
 * <p>The seed (printed) fixes the test's choices (targets, schedule, pauses, K); thread timing is not reproducible.
 * Set it with {@code -Dstorm.seed=N}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StormIT {
    private static final String MOD = "storm";
    private static final String BSN = "hotcode.itest.storm";
    private static final String[] VERSIONS = {"1.0.0", "2.0.0"};

    static final int SENDERS = 16;
    static final int RECEIVERS = 1000;
    static final int UPDATES = 200;
    static final int REFRESHES = 50;
    static final int WINDOW = 16;
    static final int REENTER_ONE_IN = 64;
    static final int STALL_SECONDS = 15;
    /** The mean pause before each update or refresh, in milliseconds (uniform in 0..2x). */
    private static final int PAUSE_MS = Integer.getInteger("storm.pause.ms", 20);
    private static final int EXAMPLES = 5;

    private static final Atom MSG = atom("msg");
    private static final Atom GOT = atom("got");
    private static final Atom ACK = atom("ack");
    private static final Atom GO = atom("go");
    private static final Atom REENTER = atom("reenter");
    private static final Atom STOP = atom("stop");
    private static final Atom UNEXPECTED = atom("unexpected");

    @Configuration
    public Option[] config() {
        TestModules.compileAll();
        return HotcodeOptions.options();
    }

    @Test
    public void noMessageLostDuplicatedOrReorderedUnderUpgradeStorm() throws Exception {
        String seedProperty = System.getProperty("storm.seed");
        long seed = seedProperty != null && !seedProperty.isBlank() ? Long.parseLong(seedProperty.trim())
                : new Random().nextLong();
        System.out.println("[storm] seed " + seed + " (rerun with -Dstorm.seed=" + seed + ")");
        Random rnd = new Random(seed);

        byte[][] jars = new byte[VERSIONS.length][];
        for (int i = 0; i < VERSIONS.length; i++) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Bundle-ManifestVersion", "2");
            headers.put("Bundle-SymbolicName", BSN);
            headers.put("Bundle-Version", VERSIONS[i]);
            headers.put("Import-Package", "hotcode.runtime.api");
            headers.put("Hotcode-Module", MOD + ";class=" + TestModules.STORM_CLASS);
            jars[i] = TestModules.jar(headers, List.of(TestModules.STORM));
        }
        Bundle bundle = context().installBundle("itest:" + BSN + ":storm", new ByteArrayInputStream(jars[0]));
        bundle.start();

        Shared shared = new Shared();
        AutoCloseable subscription = Hotcode.subscribeDeadLetters(shared::deadLetter);
        Collector collector = new Collector(shared);
        Pid collectorPid = Hotcode.spawn(collector::loop);
        Supervisor supervisor = new Supervisor(shared, collectorPid, new Random(rnd.nextLong()));
        Pid supervisorPid = Hotcode.spawn(supervisor::start);
        Sender[] senders = new Sender[SENDERS];
        try {
            await(supervisor.ready, "the supervisor to spawn " + RECEIVERS + " receivers");
            for (int s = 0; s < SENDERS; s++) {
                senders[s] = new Sender(s, shared, new Random(rnd.nextLong()));
                shared.senders.set(s, Hotcode.spawn(senders[s]::run));
            }
            for (int s = 0; s < SENDERS; s++) {
                Hotcode.send(shared.senders.get(s), GO);
            }

            // ---------------------------------------------------------- the storm
            BitSet refreshAfter = new BitSet(UPDATES);
            while (refreshAfter.cardinality() < REFRESHES) {
                refreshAfter.set(rnd.nextInt(UPDATES));
            }
            long start = System.nanoTime();
            Stats updates = new Stats();
            Stats refreshes = new Stats();
            List<String> upgradeProblems = new ArrayList<>();
            for (int u = 0; u < UPDATES; u++) {
                pause(rnd);
                long t = System.nanoTime();
                bundle.update(new ByteArrayInputStream(jars[(u + 1) % 2]));
                updates.add(System.nanoTime() - t);
                checkAnchors(u, bundle, upgradeProblems);
                if (refreshAfter.get(u)) {
                    pause(rnd);
                    t = System.nanoTime();
                    Itest.refresh(bundle);
                    refreshes.add(System.nanoTime() - t);
                    Itest.which(MOD).old().ifPresent(old -> upgradeProblems.add("refresh after update #"
                            + (updates.n) + " did not purge " + old + " (it is still old code)"));
                }
                if (shared.stalled()) {
                    break; // a sender gave up: no point in going on, the analysis below says why
                }
            }
            long stormNanos = System.nanoTime() - start;

            // ---------------------------------------------------------- stop, drain, final refresh
            shared.stop.set(true);
            boolean drained = shared.sendersDone.await(STALL_SECONDS + 10, TimeUnit.SECONDS);
            long t = System.nanoTime();
            Itest.refresh(bundle);
            refreshes.add(System.nanoTime() - t);
            long totalNanos = System.nanoTime() - start;

            // ---------------------------------------------------------- analysis
            List<String> deviations = new ArrayList<>();
            if (!drained) {
                deviations.add("senders still not done " + (STALL_SECONDS + 10) + " s after stop (a hang)");
            }
            for (Sender s : senders) {
                if (s.stall != null) {
                    deviations.add(s.stall);
                }
            }
            Report r = analyse(senders, shared, deviations);
            ModuleInfo info = Itest.which(MOD);
            if (info.old().isPresent()) {
                deviations.add("old code left after the final refresh: " + info);
            }
            String expected = VERSIONS[UPDATES % 2];
            if (!expected.equals(info.current().map(v -> v.version()).orElse("none"))) {
                deviations.add("current version after " + UPDATES + " updates is not " + expected + ": " + info);
            }
            List<Pid> onOld = new ArrayList<>();
            for (int i = 0; i < RECEIVERS; i++) {
                Pid p = shared.slots.get(i);
                if (Hotcode.isAlive(p) && code().checkProcessCode(p, MOD)) {
                    onOld.add(p);
                }
            }
            if (!onOld.isEmpty()) {
                deviations.add("receivers on old code after the final refresh: " + first(onOld));
            }
            if (!upgradeProblems.isEmpty()) {
                deviations.add("versions without an active anchor right after an update (so a refresh cannot "
                        + "purge them, and their revision may be discarded while old code runs it), or refreshes "
                        + "that left old code: " + upgradeProblems.size() + ", e.g. " + first(upgradeProblems));
            }
            synchronized (shared.errors) {
                deviations.addAll(shared.errors);
            }

            StringBuilder summary = new StringBuilder();
            summary.append(String.format("[storm] seed %d: %d updates (mean %.1f ms, max %.1f ms), %d refreshes "
                            + "(mean %.1f ms, max %.1f ms) in %.1f s (storm) / %.1f s (with drain and final refresh)%n",
                    seed, updates.n, updates.meanMs(), updates.maxMs(), refreshes.n, refreshes.meanMs(),
                    refreshes.maxMs(), stormNanos / 1e9, totalNanos / 1e9));
            summary.append(String.format("[storm] sent %d (%.0f/s), delivered %d %s, dead-lettered %d %s%n",
                    r.sent, r.sent / (stormNanos / 1e9), r.delivered, collector.byVersion, r.dead, r.deadByReason));
            summary.append(String.format("[storm] lost %d, duplicated %d, reordered %d, out of mailbox order %d, "
                            + "unknown %d, without reason %d; sent - delivered - dead = %d%n",
                    r.lost, r.duplicated, r.reordered, r.phase, r.unknown, r.noReason, r.sent - r.delivered - r.dead));
            summary.append(String.format("[storm] receivers killed and replaced %d (exit reasons %s), receivers that "
                            + "ran both versions %d, dead reenter messages %d, other dead letters %d%n",
                    supervisor.replaced.get(), supervisor.reasons, collector.bothVersions(), shared.deadReenter.get(),
                    shared.otherDead.size()));
            System.out.print(summary);
            if (!deviations.isEmpty()) {
                fail("the storm deviated (seed " + seed + ", rerun with -Dstorm.seed=" + seed + "):\n  "
                        + String.join("\n  ", deviations) + "\n" + summary);
            }
        } finally {
            subscription.close();
            shared.stop.set(true);
            supervisor.stopping = true;
            Hotcode.exit(supervisorPid, Hotcode.KILL);
            Hotcode.exit(collectorPid, Hotcode.KILL);
            for (int s = 0; s < SENDERS; s++) {
                Pid p = shared.senders.get(s);
                if (p != null) {
                    Hotcode.exit(p, Hotcode.KILL);
                }
            }
            for (int i = 0; i < RECEIVERS; i++) {
                Pid p = shared.slots.get(i);
                if (p != null) {
                    Hotcode.exit(p, Hotcode.KILL);
                }
            }
        }
    }

    /**
     * Right after an update, the current and the old version must each be held by an active anchor bundle (see
     * docs/DESIGN.md: without it Felix discards the revision when it becomes old, and old code can no longer load
     * classes). Cheap: a look at the installed bundles.
     */
    private static void checkAnchors(int update, Bundle bundle, List<String> problems) {
        ModuleInfo info = Itest.which(MOD);
        List<VersionInfo> versions = new ArrayList<>();
        info.current().ifPresent(versions::add);
        info.old().ifPresent(versions::add);
        for (VersionInfo v : versions) {
            String prefix = "hotcode:anchor:" + MOD + ":" + v.vsn() + ":";
            List<String> states = new ArrayList<>();
            boolean active = false;
            for (Bundle b : context().getBundles()) {
                if (b.getLocation().startsWith(prefix)) {
                    states.add(b.getSymbolicName() + " state " + b.getState());
                    active |= b.getState() == Bundle.ACTIVE;
                }
            }
            if (!active) {
                problems.add("after update #" + (update + 1) + ": " + v + (info.current().orElse(null) == v
                        ? " (current)" : " (old)") + " has no active anchor " + states + "; revisions of the bundle: "
                        + revisions(bundle));
            }
        }
    }

    private static String revisions(Bundle bundle) {
        List<String> out = new ArrayList<>();
        for (BundleRevision r : bundle.adapt(BundleRevisions.class).getRevisions()) {
            BundleWiring w = r.getWiring();
            out.add(r.getVersion() + (w == null ? " (no wiring)" : w.isCurrent() ? " (current)" : w.isInUse()
                    ? " (in use)" : " (not in use)"));
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ analysis

    private static final class Report {
        long sent;
        long delivered;
        long dead;
        long lost;
        long duplicated;
        long reordered;
        long phase;
        long unknown;
        long noReason;
        final Map<String, Long> deadByReason = new TreeMap<>();
    }

    private static Report analyse(Sender[] senders, Shared shared, List<String> deviations) {
        Report r = new Report();
        List<String> lost = new ArrayList<>();
        List<String> duplicated = new ArrayList<>();
        List<String> reordered = new ArrayList<>();
        List<String> phase = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        List<String> noReason = new ArrayList<>();
        List<String> badReason = new ArrayList<>();

        Map<Pid, List<Dead>[]> dead = new HashMap<>();
        for (Dead d : shared.dead) {
            r.dead++;
            r.deadByReason.merge(d.reason == null ? "null" : Terms.format(d.reason), 1L, Long::sum);
            if (d.reason == null) {
                r.noReason++;
                noReason.add(d.toString());
            } else if (d.reason != Hotcode.KILLED && d.reason != Hotcode.NOPROC) {
                badReason.add(d.toString());
            }
            @SuppressWarnings("unchecked")
            List<Dead>[] perSender = dead.computeIfAbsent(d.to, k -> new List[SENDERS]);
            if (d.sender < 0 || d.sender >= SENDERS) {
                r.unknown++;
                unknown.add(d.toString());
                continue;
            }
            (perSender[d.sender] == null ? perSender[d.sender] = new ArrayList<>() : perSender[d.sender]).add(d);
        }
        Set<Pid> receivers = new HashSet<>(dead.keySet());
        receivers.addAll(shared.delivered.keySet());
        for (Sender s : senders) {
            receivers.addAll(s.seqs.keySet());
            for (int[] c : s.seqs.values()) {
                r.sent += c[0];
            }
        }
        for (Pid to : receivers) {
            IntList[] got = shared.delivered.get(to);
            List<Dead>[] lostTo = dead.get(to);
            for (int s = 0; s < SENDERS; s++) {
                int[] c = senders[s].seqs.get(to);
                int n = c == null ? 0 : c[0];
                IntList d = got == null ? null : got[s];
                List<Dead> dl = lostTo == null ? null : lostTo[s];
                int[] count = new int[n + 1];
                String pair = "sender " + s + " -> " + to;
                int prev = 0;
                int maxDelivered = 0;
                if (d != null) {
                    r.delivered += d.size;
                    for (int i = 0; i < d.size; i++) {
                        int seq = d.a[i];
                        if (seq < 1 || seq > n) {
                            r.unknown++;
                            unknown.add(pair + ": delivered seq " + seq + " never sent (last sent " + n + ")");
                            continue;
                        }
                        count[seq]++;
                        if (seq <= prev) {
                            r.reordered++;
                            reordered.add(pair + ": delivered seq " + seq + " after seq " + prev);
                        }
                        prev = seq;
                        maxDelivered = Math.max(maxDelivered, seq);
                    }
                }
                if (dl != null) {
                    int minNoproc = Integer.MAX_VALUE;
                    for (Dead x : dl) {
                        if (x.reason == Hotcode.NOPROC) {
                            minNoproc = Math.min(minNoproc, x.seq);
                        }
                    }
                    for (Dead x : dl) {
                        if (x.seq < 1 || x.seq > n) {
                            r.unknown++;
                            unknown.add(pair + ": dead letter seq " + x.seq + " never sent (last sent " + n + ")");
                            continue;
                        }
                        count[x.seq]++;
                        if (x.seq <= maxDelivered) {
                            r.phase++;
                            phase.add(pair + ": seq " + x.seq + " dead (" + x.reason + ") though seq " + maxDelivered
                                    + " was delivered");
                        } else if (x.reason == Hotcode.KILLED && x.seq > minNoproc) {
                            r.phase++;
                            phase.add(pair + ": seq " + x.seq + " dead (killed) though seq " + minNoproc
                                    + " was refused earlier (noproc)");
                        }
                    }
                }
                for (int seq = 1; seq <= n; seq++) {
                    if (count[seq] == 0) {
                        r.lost++;
                        lost.add(pair + ": seq " + seq + " of " + n + " neither delivered nor dead-lettered"
                                + " (delivered " + (d == null ? "[]" : d.head(8)) + ", dead "
                                + (dl == null ? 0 : dl.size()) + ", receiver alive: " + Hotcode.isAlive(to) + ")");
                    } else if (count[seq] > 1) {
                        r.duplicated += count[seq] - 1;
                        duplicated.add(pair + ": seq " + seq + " delivered or dead-lettered " + count[seq] + " times");
                    }
                }
            }
        }
        report(deviations, "lost", r.lost, lost);
        report(deviations, "duplicated", r.duplicated, duplicated);
        report(deviations, "reordered", r.reordered, reordered);
        report(deviations, "out of mailbox order (delivered < killed < noproc)", r.phase, phase);
        report(deviations, "never sent", r.unknown, unknown);
        report(deviations, "dead letters without a reason", r.noReason, noReason);
        report(deviations, "dead letters with a reason other than killed or noproc", badReason.size(), badReason);
        if (r.sent != r.delivered + r.dead) {
            deviations.add("sent " + r.sent + " != delivered " + r.delivered + " + dead-lettered " + r.dead);
        }
        if (!shared.otherDead.isEmpty()) {
            deviations.add(shared.otherDead.size() + " dead letters that are neither {msg, ...} nor reenter: "
                    + first(new ArrayList<>(shared.otherDead)));
        }
        return r;
    }

    private static void report(List<String> deviations, String what, long n, List<String> examples) {
        if (n > 0) {
            deviations.add(what + ": " + n + ", e.g. " + first(examples));
        }
    }

    private static String first(List<?> items) {
        return items.size() <= EXAMPLES ? items.toString()
                : items.subList(0, EXAMPLES) + " (and " + (items.size() - EXAMPLES) + " more)";
    }

    // ------------------------------------------------------------------ the processes

    /** What the test, its processes and the dead-letter subscriber share. */
    private static final class Shared {
        final AtomicReferenceArray<Pid> slots = new AtomicReferenceArray<>(RECEIVERS);
        final AtomicReferenceArray<Pid> senders = new AtomicReferenceArray<>(SENDERS);
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch sendersDone = new CountDownLatch(SENDERS);
        /** Per receiver, per sender: the Seqs reported by the receiver, in the order the collector got them. */
        final ConcurrentHashMap<Pid, IntList[]> delivered = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Dead> dead = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<DeadLetter> otherDead = new ConcurrentLinkedQueue<>();
        final AtomicLong deadReenter = new AtomicLong();
        final List<String> errors = new ArrayList<>();
        volatile boolean stalled;

        /** The dead-letter subscriber: records a dead {msg, ...} and acknowledges it to its sender. */
        void deadLetter(DeadLetter d) {
            Object m = d.message();
            if (m instanceof Tuple t && t.isTagged(MSG, 3) && t.get(1) instanceof Integer s
                    && t.get(2) instanceof Integer seq) {
                dead.add(new Dead(s, d.to(), seq, d.reason()));
                Pid sender = s >= 0 && s < SENDERS ? senders.get(s) : null;
                if (sender != null) {
                    Hotcode.send(sender, ACK);
                }
            } else if (m == REENTER) {
                deadReenter.incrementAndGet();
            } else {
                otherDead.add(d);
            }
        }

        void error(String e) {
            synchronized (errors) {
                errors.add(e);
            }
        }

        boolean stalled() {
            return stalled;
        }
    }

    private record Dead(int sender, Pid to, int seq, Object reason) {
        @Override
        public String toString() {
            return "{msg, " + sender + ", " + seq + "} to " + to + " (" + reason + ")";
        }
    }

    /** Records the receivers' reports and acknowledges each to its sender. */
    private static final class Collector {
        private final Shared shared;
        /** Owner only until the end: per receiver, a bit per version it ran when it took a message. */
        private final Map<Pid, Integer> versionsOf = new HashMap<>();
        final Map<String, Long> byVersion = new ConcurrentHashMap<>();

        Collector(Shared shared) {
            this.shared = shared;
        }

        Next loop() {
            Object m = Hotcode.receive();
            if (m instanceof Tuple t && t.isTagged(GOT, 5)) {
                int s = t.get(1, Integer.class);
                int seq = t.get(2, Integer.class);
                Pid to = t.get(3, Pid.class);
                String vsn = t.get(4, String.class);
                shared.delivered.computeIfAbsent(to, k -> new IntList[SENDERS]);
                IntList[] lists = shared.delivered.get(to);
                (lists[s] == null ? lists[s] = new IntList() : lists[s]).add(seq);
                byVersion.merge(vsn, 1L, Long::sum);
                int bit = vsn.equals(VERSIONS[0]) ? 1 : vsn.equals(VERSIONS[1]) ? 2 : 4;
                versionsOf.merge(to, bit, (a, b) -> a | b);
                Hotcode.send(shared.senders.get(s), ACK);
            } else {
                shared.error("the collector got " + (m instanceof Tuple t && t.isTagged(UNEXPECTED, 3)
                        ? "a report of an unexpected message: " + m : "an unexpected message: " + m));
            }
            return this::loop;
        }

        synchronized long bothVersions() {
            return versionsOf.values().stream().filter(v -> v == 3).count();
        }
    }

    /** Spawns the receivers, monitors them, and replaces every one that exits. */
    private static final class Supervisor {
        private final Shared shared;
        private final Pid collector;
        private final Random rnd;
        private final Map<Pid, Integer> slotOf = new HashMap<>();
        final CountDownLatch ready = new CountDownLatch(1);
        final AtomicLong replaced = new AtomicLong();
        final Map<String, Long> reasons = new ConcurrentHashMap<>();
        volatile boolean stopping;

        Supervisor(Shared shared, Pid collector, Random rnd) {
            this.shared = shared;
            this.collector = collector;
            this.rnd = rnd;
        }

        Next start() {
            for (int i = 0; i < RECEIVERS; i++) {
                spawnInto(i);
            }
            ready.countDown();
            return this::loop;
        }

        Next loop() {
            Object m = Hotcode.receive();
            if (m instanceof Tuple t && t.isTagged(Hotcode.DOWN, 5)) {
                Pid p = t.get(3, Pid.class);
                Object reason = t.get(4);
                Integer slot = slotOf.remove(p);
                reasons.merge(Terms.format(reason), 1L, Long::sum);
                // noproc: it was gone before the monitor was set up (killed by a purge right after its spawn)
                if (reason != Hotcode.KILLED && reason != Hotcode.NOPROC && !stopping) {
                    shared.error("receiver " + p + " exited with " + reason + " (only purges should end receivers)");
                }
                if (slot != null && !stopping) {
                    replaced.incrementAndGet();
                    spawnInto(slot);
                }
            } else {
                shared.error("the supervisor got an unexpected message: " + m);
            }
            return this::loop;
        }

        private void spawnInto(int slot) {
            long seed = rnd.nextLong();
            int left = rnd.nextInt(4) == 0 ? Integer.MAX_VALUE : 1 + rnd.nextInt(32);
            for (int attempt = 1; ; attempt++) {
                try {
                    Pid p = Hotcode.spawn(MOD, "receiver", MOD, collector, seed, left);
                    Hotcode.monitor(p);
                    slotOf.put(p, slot);
                    shared.slots.set(slot, p);
                    return;
                } catch (HotcodeException e) {
                    if (attempt == 100) {
                        shared.error("the supervisor could not spawn a receiver 100 times: " + e);
                        throw e;
                    }
                    Hotcode.sleep(1);
                }
            }
        }
    }

    /** Sends numbered messages to random receivers, with at most WINDOW unacknowledged. */
    private static final class Sender {
        private final int index;
        private final Shared shared;
        private final Random rnd;
        /** Per receiver: the last Seq sent (read by the test once the sender is done). */
        final Map<Pid, int[]> seqs = new HashMap<>();
        volatile String stall;
        private int outstanding;
        private long sent;

        Sender(int index, Shared shared, Random rnd) {
            this.index = index;
            this.shared = shared;
            this.rnd = rnd;
        }

        Next run() {
            try {
                Hotcode.receive(GO);
                while (!shared.stop.get()) {
                    while (outstanding >= WINDOW) {
                        if (!awaitAck()) {
                            return Next.done();
                        }
                    }
                    Pid to = shared.slots.get(rnd.nextInt(RECEIVERS));
                    int seq = ++seqs.computeIfAbsent(to, k -> new int[1])[0];
                    outstanding++;
                    sent++;
                    Hotcode.send(to, tuple(MSG, index, seq));
                    if (rnd.nextInt(REENTER_ONE_IN) == 0) {
                        Hotcode.send(to, REENTER);
                    }
                }
                while (outstanding > 0) {
                    if (!awaitAck()) {
                        return Next.done();
                    }
                }
                return Next.done();
            } finally {
                shared.sendersDone.countDown();
            }
        }

        private boolean awaitAck() {
            if (Hotcode.receive(Duration.ofSeconds(STALL_SECONDS), ACK) == null) {
                stall = "sender " + index + " got no ack for " + STALL_SECONDS + " s with " + outstanding
                        + " messages unacknowledged (" + sent + " sent)";
                shared.stalled = true;
                return false;
            }
            outstanding--;
            return true;
        }
    }

    // ------------------------------------------------------------------ small helpers

    private static final class IntList {
        int[] a = new int[4];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        String head(int n) {
            return Arrays.toString(Arrays.copyOf(a, Math.min(n, size))) + (size > n ? "..." : "");
        }
    }

    private static final class Stats {
        int n;
        long total;
        long max;

        void add(long nanos) {
            n++;
            total += nanos;
            max = Math.max(max, nanos);
        }

        double meanMs() {
            return n == 0 ? 0 : total / 1e6 / n;
        }

        double maxMs() {
            return max / 1e6;
        }
    }

    private static void pause(Random rnd) throws InterruptedException {
        int ms = rnd.nextInt(2 * PAUSE_MS + 1);
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    private static void await(CountDownLatch latch, String what) throws InterruptedException {
        if (!latch.await(Itest.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("timed out after " + Itest.TIMEOUT_SECONDS + " s waiting for " + what);
        }
    }
}
