#!/usr/bin/env python3
"""Checks that the harness and the runner catch tests that misbehave on purpose.

`make test` boots the manual `ktest_demo*` suites (tests/test_harness.c),
whose cases fail an expectation, fail an assertion, fault, hang with
interrupts on (the in-kernel watchdog ends them), print a warning they did
not declare, leak a frame, declare a fault they never take, hang with
interrupts off (only the host runner's timeout ends it) and triple-fault,
a boot whose filter matches nothing, and a two-CPU boot with the
TLB-shootdown IPI left out (`smp_skip_shootdown`), whose smp cases must
see the other CPU's stale TLB and fail, and a two-CPU boot whose CPU 1
hangs with interrupts on (its own watchdog must stop it) and then with
interrupts off (the boot CPU's NMI must get its backtrace and take it
offline). For each boot it
reads what scripts/ktest.py printed and checks that the run was judged a
failure and that every misbehaving test was named with the right reason.

Usage: check-demo.py RESULT.json (name=OUTPUT_FILE:RUNNER_RESULT.json)...
Writes RESULT.json with one passed/failed count per expectation.
"""
import json
import sys

# For each demo boot: what the runner's output must contain.
EXPECTED = {
    "harness-demo": [
        "not ok ktest_demo.fails_on_purpose",
        "EXPECTATION FAILED at tests/test_harness.c",
        "not ok ktest_demo.asserts_on_purpose",
        "ASSERTION FAILED at tests/test_harness.c",
        "not ok ktest_demo.faults_on_purpose",
        "unexpected page fault at faults_on_purpose",
        "not ok ktest_demo.hangs_on_purpose",
        "timed out, case aborted by the watchdog",
        "not ok ktest_demo.warns_without_declaring",
        "printed a WARNING (tests/test_harness.c:",
        "not ok ktest_demo.leaks_on_purpose",
        "leak check of ktest_demo.leaks_on_purpose: free_frames",
        "not ok ktest_demo.declares_a_fault_it_never_takes",
        "declared 1 fault reports, printed 0",
        "not ok ktest_demo.asserts_holding_a_lock",
        "the case ended holding locks of order slab (left taken)",
        "1 passed, 8 failed",   # and the case after them still ran
    ],
    "harness-demo-hang": [       # 5 s of silence, not the 300 s timeout
        "silent: no console output for 5s while a test ran",
        "last test started: ktest_demo_hang.hangs_with_interrupts_off",
    ],
    "smp-demo-skip-shootdown": [
        "not ok smp.vunmap_then_purge_faults_on_the_other_cpu",
        "not ok smp.vfree_then_purge_faults_on_the_other_cpu",
        "not ok smp.vm_area_unmap_pages_faults_on_the_other_cpu",
        "not ok smp.free_vm_area_of_a_sparse_area_faults_on_the_other_cpu",
        "not ok smp.protect_read_only_stops_writes_on_the_other_cpu",
        "not ok smp.an_idle_cpu_gets_a_note_and_flushes_when_it_wakes",
        "not ok smp.a_running_cpu_gets_an_ipi_and_flushes_at_once",
        "not ok smp.a_pooled_range_was_flushed_on_every_cpu",
        "not ok smp.a_purge_of_every_cpus_list_is_one_shootdown",
        "not ok smp.a_purge_takes_the_other_cpus_lazy_list_along",
        "9 passed, 12 failed",  # the cases that need no shootdown still pass
        "smp_skip_shootdown: TLB shootdowns are NOT sent",
        "(APIC id 7) did not answer within 2000 ms: left offline",
    ],
    "harness-demo-smp-hang": [   # CPU 1 hangs; the boot CPU carries on
        "not ok ktest_demo_smp.ap_hangs_with_interrupts_on",
        "CPU 1: ktest_demo_smp.ap_hangs_with_interrupts_on: still running at the deadline: "
        "stopped by its watchdog",
        "RIP: spins_with_interrupts_on+",
        "CPU 1: still running at the deadline: stopped by its watchdog",
        "not ok ktest_demo_smp.ap_hangs_with_interrupts_off",
        "smp: CPU 1 was at spins_with_interrupts_off+",
        "(NMI backtrace); it is parked",
        "CPU 1: did not stop at the deadline (interrupts off?): taken offline",
        "1 passed, 2 failed",   # the case after them still ran
    ],
    "harness-demo-crash": [
        "crash: qemu exited with status 0",
        "ktest_demo_crash.triple_faults",
    ],
    "harness-demo-nothing": [   # ktest.filter=ktest_dmeo, a typo
        "ktest: filter matched nothing: 'ktest_dmeo'",
        "ktest: filter matched nothing: no case to run, failed",
    ],
}


def check_one(name, output_file, runner_result):
    """Returns (passed, failed, problems) for one demo boot."""
    problems = []
    try:
        with open(output_file, encoding="utf-8", errors="replace") as f:
            text = f.read()
        with open(runner_result, encoding="utf-8") as f:
            verdict = json.load(f)
    except (OSError, ValueError) as e:
        return 0, 1, [f"{name}: cannot read its output: {e}"]
    if verdict.get("ok", True):
        problems.append(f"{name}: the runner judged a misbehaving run ok")
    for needle in EXPECTED[name]:
        if needle not in text:
            problems.append(f"{name}: runner output lacks {needle!r}")
    passed = 1 + len(EXPECTED[name]) - len(problems)
    return passed, len(problems), problems


def main(argv):
    """Checks each NAME=OUTPUT:RESULT argument and writes the combined result."""
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    result_path, passed, failed, problems = argv[1], 0, 0, []
    for arg in argv[2:]:
        name, files = arg.split("=", 1)
        output_file, runner_result = files.split(":", 1)
        p, f, probs = check_one(name, output_file, runner_result)
        passed, failed, problems = passed + p, failed + f, problems + probs
    for line in problems:
        print(f"[harness-demo] {line}")
    print(f"[harness-demo] {passed} passed, {failed} failed")
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump({"name": "harness-demo", "passed": passed, "failed": failed,
                   "skipped": 0, "ok": failed == 0, "problems": problems}, f)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
