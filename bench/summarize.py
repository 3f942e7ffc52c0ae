#!/usr/bin/env python3
"""Hotcode vs Erlang side by side, with the targets. Usage: summarize.py RESULTS_DIR
Reads hotcode.txt, erlang.txt and erlang-servers.txt (bench/erlang/servers.escript) (RESULT lines; runs of the same
name from several forks are pooled), and java-baseline.txt for the last table: Hotcode against the best plain-JVM
variant on 2 carriers measured in the same run (issue 16: where an Erlang target is missed, Hotcode must be at or above
that variant)."""
import math
import re
import sys
from pathlib import Path

LINE = re.compile(r"^RESULT (\S+) (\S+)\s+median=(\S+) min=(\S+) max=(\S+) unit=(\S+) runs=\[([^\]]*)\]")
NOTE = re.compile(r"^RESULT (\S+) (\S+)\s+(.*)$")


# 41-79 ns in most minutes on this kind of host, 335-520 ns in the slow ones (BENCHMARKS.md "i16-host").
SLOW_C2C_NS = 150


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def pct(v, q):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, math.ceil(q * len(v)) - 1))]


runs, units, notes = {}, {}, []
d = Path(sys.argv[1])
for fname in ("hotcode.txt", "erlang.txt", "erlang-servers.txt"):
    f = d / fname
    if not f.exists():
        continue
    for line in f.read_text().splitlines():
        m = LINE.match(line)
        if m:
            suite, name, _, _, _, unit, rs = m.groups()
            runs.setdefault((suite, name), []).extend(float(x) for x in rs.split(",") if x)
            units[(suite, name)] = unit
        elif line.startswith("RESULT") and (n := NOTE.match(line)):
            notes.append(f"{n.group(1)} {n.group(2)} {n.group(3)}")


def stat(suite, name):
    v = runs.get((suite, name))
    return None if not v else (median(v), min(v), max(v), v)


# (label, hotcode name, erlang name or None, higher_is_better, target)
# target: ("ratio", x) hotcode/erlang must be >= x (throughput) or <= x (times);
#         ("abs", x) hotcode median <= x;  ("p99", x) p99 of all hotcode runs <= x
ROWS = [
    ("messaging", None),
    ("ping-pong, round trips/s", "pingpong_rt_per_s", "pingpong_rt_per_s", True, ("ratio", 1.0)),
    ("ping-pong, 1000 msgs queued (selective), rt/s", "pingpong_selective_1000_rt_per_s",
     "pingpong_selective_1000_rt_per_s", True, None),
    ("one-way 1->1 (10M), msgs/s", "oneway_msgs_per_s", "oneway_msgs_per_s", True, ("ratio", 1.5)),
    ("ring 10k x 100, hops/s", "ring_10k_x100_hops_per_s", "ring_10k_x100_hops_per_s", True, ("ratio", 1.0)),
    ("ring 10k create, s", "ring_10k_create_s", "ring_10k_create_s", False, None),
    ("spawn 1M processes waiting in receive", None),
    ("spawn calls, s", "spawn_1M_spawn_calls_s", "spawn_1M_spawn_calls_s", False, None),
    ("until all waiting, s", "spawn_1M_until_all_waiting_s", "spawn_1M_until_all_waiting_s", False, ("ratio", 0.5)),
    ("bytes per process (memory delta)", "spawn_1M_bytes_per_proc_memdelta", "spawn_1M_bytes_per_proc_memdelta",
     False, ("abs", 1000)),
    ("teardown (stop all), s", "spawn_1M_teardown_s", "spawn_1M_teardown_s", False, None),
    ("hot code upgrade, 10k processes in the module", None),
    ("update -> new version current, ms", "dsu_load_file_10k_procs_ms", "dsu_load_file_10k_procs_ms", False,
     ("abs", 50)),
    ("  of which Bundle.update() call, ms", "dsu_bundle_update_call_ms", None, False, None),
    ("all 10k workers on new code after trigger, ms", "dsu_all_10k_workers_on_new_code_ms",
     "dsu_all_10k_workers_on_new_code_ms", False, ("abs", 10)),
    ("stream gap at the switch, us (target: p99)", "dsu_stream_gap_at_switch_us", "dsu_stream_gap_at_switch_us", False,
     ("p99", 100)),
    ("  p99 of gaps +-2000 msgs around a switch, us", "dsu_stream_gap_window_p99_us", None, False, None),
    ("  max gap +-2000 msgs around a switch, us", "dsu_stream_gap_window_max_us", None, False, None),
    ("soft purge, none on old code, ms", "dsu_soft_purge_10k_procs_ms", "dsu_soft_purge_10k_procs_ms", False,
     ("abs", 10)),
    ("soft-purge check, 10k on old code (refused), ms", "dsu_soft_purge_check_10k_on_old_ms", None, False,
     ("abs", 10)),
    ("purge, 10k processes on old code, ms", "dsu_purge_10k_on_old_code_ms", None, False, ("abs", 100)),
    ("  stream max gap during the purge, us", "dsu_stream_max_gap_during_purge_us", None, False, None),
    ("gen_server upgrade: 10k servers (benchsrv), state migration; calls: 32 clients", None),
    ("suspend+migrate+resume, 10k (runtime log), ms", "servers_log_total_10k_ms",
     "servers_suspend_change_resume_10k_ms", False, ("abs", 50)),
    ("  of which suspend + migrate, ms", "servers_log_suspend_migrate_10k_ms", "servers_suspend_change_10k_ms", False,
     None),
    ("  of which resume, ms", "servers_log_resume_10k_ms", "servers_resume_10k_ms", False, None),
    ("Bundle.update() with 10k servers, ms", "servers_update_10k_ms", None, False, None),
    ("  JVM CPU time during it (2 vCPUs), ms", "servers_update_10k_cpu_ms", None, False, None),
    ("Bundle.update() with no server running, ms", "servers_update_no_servers_ms", None, False, None),
    ("  10k minus none (median), ms", "servers_update_10k_extra_ms", None, False, None),
    ("call latency before the upgrade, p50, us", "servers_lat_before_p50_us", "servers_lat_before_p50_us",
     False, None),
    ("  p99 before, us", "servers_lat_before_p99_us", "servers_lat_before_p99_us", False, None),
    ("  max before, us", "servers_lat_before_max_us", "servers_lat_before_max_us", False, None),
    ("longest call during the upgrade, us", "servers_lat_during_max_us", "servers_lat_during_max_us", False,
     ("abs", 50000)),
    ("  p99 of calls during the upgrade, us", "servers_lat_during_p99_us", "servers_lat_during_p99_us", False, None),
    ("  calls/s before the upgrade (all clients)", "servers_lat_before_calls_per_s", None, True, None),
    ("  calls/s during the upgrade", "servers_lat_during_calls_per_s", None, True, None),
    ("  Bundle.update() under that load, ms", "servers_lat_update_ms", None, False, None),
    ("  suspend+migrate+resume under load (log), ms", "servers_lat_log_total_ms", "servers_lat_upgrade_ms", False,
     None),
    ("rollback, throws in server 5000: update(), ms", "servers_rollback_mid_update_ms", None, False, None),
    ("  runtime's rollback figure, ms", "servers_rollback_mid_log_ms", None, False, ("abs", 50)),
    ("  bundle restored, ms after update() returned", "servers_rollback_mid_restore_ms", None, False, None),
    ("rollback, throws in last server: update(), ms", "servers_rollback_last_update_ms", None, False, None),
    ("  runtime's rollback figure, ms", "servers_rollback_last_log_ms", None, False, ("abs", 50)),
    ("  bundle restored, ms after update() returned", "servers_rollback_last_restore_ms", None, False, None),
    ("call cost (no Erlang peer)", None),
    ("local call in a process, ns", "call_local_in_process_ns", None, False, None),
    ("qualified call in a process, ns", "call_qualified_in_process_ns", None, False, None),
    ("process step, local tail call, ns", "step_local_tail_call_ns", None, False, None),
    ("process step, qualified tail call, ns", "step_qualified_tail_call_ns", None, False, None),
    ("JMH local call (plain thread), ns", "jmh_local_call_outside_process_ns", None, False, None),
    ("JMH qualified call (plain thread), ns", "jmh_qualified_call_outside_process_ns", None, False, None),
]


def fmt(v):
    if v is None:
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


def rng(s):
    return "n/a" if s is None else f"{fmt(s[1])}-{fmt(s[2])}"


print(f"{'benchmark':48s} {'Hotcode':>9s} {'(min-max)':>15s} {'Erlang':>9s} {'(min-max)':>15s} {'ratio':>7s}  target")
verdicts = []
for row in ROWS:
    if row[1] is None:
        print(f"\n{row[0]}")
        continue
    label, hname, ename, higher, target = row
    h = stat("hotcode", hname)
    e = stat("erlang", ename) if ename else None
    ratio = h[0] / e[0] if h and e and e[0] else None
    ttxt = ""
    if target and h:
        kind, x = target
        if kind == "ratio" and ratio is not None:
            ok = ratio >= x if higher else ratio <= x
            ttxt = f"{'>=' if higher else '<='} {x}x Erlang: {'MET' if ok else 'MISSED'}"
        elif kind == "abs":
            ok = h[0] <= x
            ttxt = f"<= {x:g} {units[('hotcode', hname)]}: {'MET' if ok else 'MISSED'} (median)"
        elif kind == "p99":
            p = pct(h[3], 0.99)
            ok = p <= x
            ttxt = f"p99 {fmt(p)} <= {x:g}: {'MET' if ok else 'MISSED'}"
        if ttxt:
            verdicts.append((label.strip(), ttxt))
    elif target:
        ttxt = "no data"
    rtxt = f"{ratio:6.2f}x" if ratio is not None else "     -"
    print(f"  {label:46s} {fmt(h[0]) if h else 'n/a':>9s} {rng(h):>15s} {fmt(e[0]) if e else '-':>9s} "
          f"{rng(e) if e else '':>15s} {rtxt:>7s}  {ttxt}")

print("\n(ratio = Hotcode median / Erlang median: above 1 is better for rates, below 1 is better for times;"
      " all runs of all forks pooled)")
for n in notes:
    if any(k in n for k in ("integrity", "max_gap", "pooled", "_check", "servers_problems", "servers_cold",
                            "_restore_ms", "servers_skipped")):
        print(n)

# Hotcode against the best plain-JVM variant on 2 carriers in this run (java-baseline peer, default parallelism).
# Busy-poll one-way variants (a receiver that never parks) are left out: a runtime cannot burn a core per idle
# process; bounded spins (spin100) are in. Variants measured with vt.parallelism=1 (suffix _vtpar1) are left out.
JVM_GROUPS = [
    ("ping-pong, round trips/s", "pingpong_rt_per_s", re.compile(r"^pingpong_vt_.*_rt_per_s$"), True),
    ("one-way 1->1 (10M), msgs/s", "oneway_msgs_per_s", re.compile(r"^oneway_vt_(?!spin_).*_msgs_per_s$"), True),
    ("ring 10k x 100, hops/s", "ring_10k_x100_hops_per_s", re.compile(r"^ring_10k_x100_vt_.*_hops_per_s$"), True),
    ("bytes per waiting process", "spawn_1M_bytes_per_proc_memdelta",
     re.compile(r"^spawn_1M_vt_.*_heap_bytes_per_thread$"), False),
]
jvm = {}
jf = d / "java-baseline.txt"
if jf.exists():
    for line in jf.read_text().splitlines():
        m = LINE.match(line)
        if m and m.group(1) == "java-baseline":  # runs of the same variant from several forks are pooled
            jvm.setdefault(m.group(2), []).extend(float(x) for x in m.group(7).split(",") if x)
    jvm = {k: median(v) for k, v in jvm.items() if v}
if jvm:
    print("\nHotcode against the best plain-JVM variant on 2 carriers, same run (java-baseline; busy-poll one-way left out)")
    for label, hname, pattern, higher in JVM_GROUPS:
        h = stat("hotcode", hname)
        cands = {k: v for k, v in jvm.items() if pattern.match(k)}
        if not h or not cands:
            continue
        best = (max if higher else min)(cands, key=cands.get)
        r = h[0] / cands[best]
        ok = r >= 1.0 if higher else r <= 1.0
        print(f"  {label:46s} {fmt(h[0]):>9s} {fmt(cands[best]):>9s} {r:6.2f}x  {'as good or better' if ok else 'WORSE'}"
              f" than the best ({best})")

# The host's core-to-core round trip before each fork and peer (bench/run.sh, hotcode.bench.runner.CoreToCore).
C2C = re.compile(r"^core-to-core round trip (\d+) ns")
cf = d / "host-c2c.txt"
if cf.exists():
    lines = [l for l in cf.read_text().splitlines() if C2C.match(l)]
    if lines:
        print(f"\nhost core-to-core round trip, before each fork and peer (slow above {SLOW_C2C_NS} ns:"
              " messages between two carriers or schedulers then cost several times more; BENCHMARKS.md \"i16-host\")")
        for l in lines:
            print("  " + l + ("   <- slow host minute" if int(C2C.match(l).group(1)) > SLOW_C2C_NS else ""))

met = sum("MET" in v and "MISSED" not in v for _, v in verdicts)
print(f"\ntargets met: {met}/{len(verdicts)}")
