#!/usr/bin/env python3
"""Tests of scripts/ktest.py on the canned serial logs in tests/runner/logs/.

Run: python3 tests/runner/test_runner.py [-v] [--result FILE]
With --result, also writes a RESULT.json (passed/failed = unittest tests) so that
`ktest.py total` can count these tests alongside the kernel configurations.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KTEST = os.path.join(ROOT, "scripts", "ktest.py")
LOGS = os.path.join(HERE, "logs")

sys.dont_write_bytecode = True  # keep scripts/ free of __pycache__
_spec = importlib.util.spec_from_file_location("ktest", KTEST)
ktest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ktest)


def log_path(name):
    """Return the path of a canned log."""
    return os.path.join(LOGS, name)


def line_of(name, text):
    """Return the 1-based number of the first line of canned log `name` containing text."""
    with open(log_path(name)) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError(f"{text!r} not in {name}")


class KtestCase(unittest.TestCase):
    """Runs ktest.py as a program in a scratch directory."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def ktest(self, *args):
        """Run ktest.py with args; return (exit status, stdout)."""
        proc = subprocess.run([sys.executable, KTEST, *args], capture_output=True,
                              text=True, timeout=10)
        return proc.returncode, proc.stdout

    def parse(self, log, *extra):
        """Run `ktest.py parse` on a canned log; return (status, stdout, RESULT dict)."""
        result = self.path(log + ".json")
        status, out = self.ktest("parse", log_path(log), "--result", result, *extra)
        with open(result) as f:
            return status, out, json.load(f)

    def boot(self, script, timeout=10):
        """Run `ktest.py boot` on `sh -c script`; return (status, stdout, RESULT, log path)."""
        result, log = self.path("boot/result.json"), self.path("boot/serial/console.log")
        status, out = self.ktest("boot", "--name", "fake", "--timeout", str(timeout),
                                 "--log", log, "--result", result, "--", "sh", "-c", script)
        with open(result) as f:
            return status, out, json.load(f), log

    def assertCounts(self, result, passed, failed, skipped):
        self.assertEqual((result["passed"], result["failed"], result["skipped"]),
                         (passed, failed, skipped))

    def assertProblem(self, result, text):
        """Assert one problem contains text."""
        self.assertTrue(any(text in p for p in result["problems"]),
                        f"{text!r} not in {result['problems']}")


class ParseCannedLogs(KtestCase):
    def test_pass_log_passes_with_counts(self):
        status, out, result = self.parse("pass.log")
        self.assertEqual(status, 0, out)
        self.assertTrue(result["ok"])
        self.assertEqual(result["problems"], [])
        self.assertCounts(result, 9, 0, 1)
        self.assertEqual(out.splitlines()[-1], "[pass] 9 passed, 0 failed, 1 skipped")
        self.assertRegex(out, r"\[pass\] pfa \.+ ok +\(2 passed, 0 failed, 1 skipped\)")
        self.assertRegex(out, r"\[pass\] vmap \.+ ok +\(5 passed, 0 failed, 0 skipped\)")

    def test_fail_log_names_cases_and_diagnostics(self):
        status, out, result = self.parse("fail.log")
        self.assertEqual(status, 1)
        self.assertFalse(result["ok"])
        self.assertCounts(result, 7, 2, 1)
        self.assertEqual(result["problems"], ["not ok: vmap.align_sweep.align_8192",
                                              "not ok: vmap.guard_page"])
        self.assertIn("not ok vmap.guard_page", out)
        self.assertIn("# guard_page: ASSERTION FAILED at mm/tests/test_vmalloc.c:88", out)
        self.assertIn("Expected fault_addr == guard, but", out)
        self.assertRegex(out, r"vmap \.+ not ok \(3 passed, 2 failed, 0 skipped\)")

    def test_truncated_log(self):
        status, _, result = self.parse("truncated.log")
        self.assertEqual(status, 1)
        self.assertCounts(result, 4, 1, 1)
        self.assertEqual(result["problems"], [
            "truncated: log ends at line 33 inside 'align_sweep' after 1 of 3 results; "
            "last test started: vmap.align_sweep"])

    def test_malformed_plan(self):
        status, _, result = self.parse("malformed_plan.log")
        self.assertEqual(status, 1)
        n = line_of("malformed_plan.log", "# pfa: pass:")
        self.assertEqual(result["problems"], [
            f"malformed: line {n}: 'pfa' ended with 2 results but its plan is 1..3"])
        self.assertEqual(result["failed"], 1)

    def test_bad_counts(self):
        status, _, result = self.parse("bad_counts.log")
        self.assertEqual(status, 1)
        n = line_of("bad_counts.log", "# pfa: pass:")
        self.assertEqual(result["problems"], [
            f"malformed: line {n}: '# pfa: pass:3 fail:0 skip:0 total:3' disagrees with "
            "the results parsed for 'pfa': pass:2 fail:0 skip:1 total:3"])

    def test_panic(self):
        status, _, result = self.parse("panic.log")
        self.assertEqual(status, 1)
        n = line_of("panic.log", "Kernel panic")
        self.assertProblem(result, f"panic: line {n}: 'Kernel panic - not syncing: vmalloc: "
                           "guard page of area 0xffffc90000002000 is mapped'; "
                           "last test started: vmap.guard_page")
        self.assertProblem(result, "truncated: ")

    def test_crash_with_exit_status_zero(self):
        status, _, result = self.parse("crash.log", "--exit-status", "0")
        self.assertEqual(status, 1)
        self.assertCounts(result, 6, 1, 1)
        self.assertEqual(result["problems"], [
            "crash: qemu exited with status 0 (triple fault or reset?) after vmap.guard_page"])

    def test_crash_log_without_exit_status_is_truncated(self):
        _, _, result = self.parse("crash.log")
        self.assertProblem(result, "truncated: log ends at line")

    def test_missing_log_fails(self):
        status, out = self.ktest("parse", self.path("nope.log"))
        self.assertEqual(status, 1)
        self.assertIn("cannot read log", out)


class BootFakeQemu(KtestCase):
    def test_exit_33_with_pass_log_passes_and_saves_log(self):
        status, out, result, log = self.boot(f"cat {log_path('pass.log')}; exit 33")
        self.assertEqual(status, 0, out)
        self.assertCounts(result, 9, 0, 1)
        self.assertEqual(out.splitlines()[-1], "[fake] 9 passed, 0 failed, 1 skipped")
        with open(log, "rb") as saved, open(log_path("pass.log"), "rb") as canned:
            self.assertEqual(saved.read(), canned.read())

    def test_exit_35_with_fail_log_fails_without_crash(self):
        status, _, result, _ = self.boot(f"cat {log_path('fail.log')}; exit 35")
        self.assertEqual(status, 1)
        self.assertCounts(result, 7, 2, 1)
        self.assertEqual(len(result["problems"]), 2)

    def test_exit_0_is_a_crash(self):
        status, _, result, _ = self.boot(f"cat {log_path('crash.log')}; exit 0")
        self.assertEqual(status, 1)
        self.assertEqual(result["problems"], [
            "crash: qemu exited with status 0 (triple fault or reset?) after vmap.guard_page"])

    def test_exit_0_after_complete_log_is_still_a_crash(self):
        _, _, result, _ = self.boot(f"cat {log_path('pass.log')}; exit 0")
        self.assertFalse(result["ok"])
        self.assertProblem(result, "crash: qemu exited with status 0")
        self.assertCounts(result, 9, 1, 1)

    def test_exit_35_with_all_ok_disagrees(self):
        _, _, result, _ = self.boot(f"cat {log_path('pass.log')}; exit 35")
        self.assertFalse(result["ok"])
        self.assertProblem(result, "kernel exited with FAIL (status 35) but every result")

    def test_exit_33_with_failures_disagrees(self):
        _, _, result, _ = self.boot(f"cat {log_path('fail.log')}; exit 33")
        self.assertProblem(result, "kernel exited with PASS (status 33) but the log has not ok")

    def test_hang_is_killed_and_names_last_test(self):
        start = time.monotonic()
        status, out, result, log = self.boot(f"cat {log_path('hang.log')}; sleep 100", 2)
        self.assertLess(time.monotonic() - start, 6)
        self.assertEqual(status, 1)
        self.assertEqual(result["problems"], [
            "hang: timed out after 2s; last test started: pgtable.map_unmap_4k"])
        self.assertCounts(result, 7, 1, 1)
        self.assertIn("[fake] vmap", out)
        with open(log) as saved:
            self.assertIn("# ktest: start pgtable.map_unmap_4k", saved.read())

    def test_command_that_cannot_start(self):
        result, log = self.path("r.json"), self.path("l.log")
        status, out = self.ktest("boot", "--name", "x", "--timeout", "5", "--log", log,
                                 "--result", result, "--", self.path("no-such-qemu"))
        self.assertEqual(status, 1)
        self.assertIn("crash: cannot run", out)


class Total(KtestCase):
    def results(self, *logs):
        paths = []
        for log in logs:
            self.parse(log)
            paths.append(self.path(log + ".json"))
        return paths

    def test_all_ok(self):
        status, out = self.ktest("total", *self.results("pass.log"))
        self.assertEqual(status, 0)
        self.assertEqual(out.splitlines()[-1], "9 passed, 0 failed, 1 skipped")

    def test_failure_and_missing_file(self):
        paths = self.results("pass.log", "fail.log") + [self.path("missing.json")]
        status, out = self.ktest("total", *paths)
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertEqual(lines[-1], "16 passed, 3 failed, 2 skipped")

    def test_no_skips_means_no_skipped_part(self):
        ok = {"name": "a", "passed": 3, "failed": 0, "skipped": 0, "ok": True, "problems": []}
        bad = dict(ok, name="b", ok=False, failed=1, problems=["hang: x"])
        paths = [self.path("a.json"), self.path("b.json")]
        for path, data in zip(paths, (ok, bad)):
            ktest.write_json(path, data)
        status, out = self.ktest("total", *paths)
        self.assertEqual(status, 1)
        self.assertEqual(out.splitlines()[-1], "6 passed, 1 failed")

    def test_unreadable_file_counts_one_failure(self):
        with open(self.path("bad.json"), "w") as f:
            f.write("{not json")
        status, out = self.ktest("total", self.path("bad.json"))
        self.assertEqual(status, 1)
        self.assertEqual(out.splitlines()[-1], "0 passed, 1 failed")


def check(text, exit_status=None):
    """Parse KTAP text in-process; return the RESULT dict."""
    parser = ktest.KtapParser()
    for line in text.splitlines():
        parser.feed(line)
    return ktest.judge("t", parser, exit_status)


SUITE = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: vmap
    1..2
    ok 1 a
    ok 2 b
# vmap: pass:2 fail:0 skip:0 total:2
ok 1 vmap
# Totals: pass:2 fail:0 skip:0 total:2
"""


class ParserRules(unittest.TestCase):
    """Single KTAP rules, on small logs built in the test."""

    def assertMalformed(self, text, line, reason):
        self.assertEqual(check(text)["problems"], [f"malformed: line {line}: {reason}"])

    def test_small_log_passes(self):
        self.assertTrue(check(SUITE)["ok"])

    def test_ansi_escapes_before_ktap_are_ignored(self):
        self.assertTrue(check("\x1b[2J\x1b[H" + SUITE)["ok"])

    def test_missing_plan_after_subtest(self):
        self.assertMalformed(SUITE.replace("    1..2\n", ""), 5,
                             "expected plan after '# Subtest: vmap'")

    def test_missing_subtest_line(self):
        self.assertMalformed(SUITE.replace("    # Subtest: vmap\n", ""), 4,
                             "expected '# Subtest: <name>' after 'KTAP version 1'")

    def test_result_numbers_go_up_by_one(self):
        self.assertMalformed(SUITE.replace("ok 2 b", "ok 3 b"), 7,
                             "result number 3 in 'vmap', expected 2")

    def test_more_results_than_plan(self):
        text = SUITE.replace("    ok 2 b\n", "    ok 2 b\n    ok 3 c\n")
        self.assertMalformed(text, 8, "result 3 is beyond the plan 1..2 of 'vmap'")

    def test_only_skip_directive(self):
        self.assertMalformed(SUITE.replace("ok 2 b", "ok 2 b # TODO later"), 7,
                             "directive '# TODO later' is not allowed (only '# SKIP <reason>')")

    def test_block_result_name_must_match_subtest(self):
        self.assertMalformed(SUITE.replace("ok 1 vmap", "ok 1 pfa"), 9,
                             "result 'pfa' does not match '# Subtest: vmap'")

    def test_suite_needs_count_line(self):
        self.assertMalformed(SUITE.replace("# vmap: pass:2 fail:0 skip:0 total:2\n", ""), 8,
                             "missing count line '# vmap: pass:P fail:F skip:S total:T' "
                             "before 'ok 1 vmap'")

    def test_totals_must_match(self):
        text = SUITE.replace("# Totals: pass:2 fail:0 skip:0", "# Totals: pass:1 fail:0 skip:1")
        self.assertMalformed(text, 10, "'# Totals: pass:1 fail:0 skip:1 total:2' disagrees "
                             "with the leaf results parsed: pass:2 fail:0 skip:0 total:2")

    def test_count_total_must_be_the_sum(self):
        self.assertMalformed(SUITE.replace("# Totals: pass:2 fail:0 skip:0 total:2",
                                           "# Totals: pass:2 fail:0 skip:0 total:3"), 10,
                             "'# Totals: pass:2 fail:0 skip:0 total:3': "
                             "total is not pass + fail + skip")

    def test_totals_required(self):
        self.assertMalformed(SUITE.replace("# Totals: pass:2 fail:0 skip:0 total:2\n", ""), 9,
                             "log ends without the "
                             "'# Totals: pass:P fail:F skip:S total:T' line")

    def test_suite_with_failing_case_must_be_not_ok(self):
        text = SUITE.replace("    ok 2 b", "    not ok 2 b").replace(
            "pass:2 fail:0 skip:0 total:2\nok", "pass:1 fail:1 skip:0 total:2\nok")
        self.assertEqual(check(text)["problems"], [
            "malformed: line 9: 'ok 1 vmap' but a result inside 'vmap' is not ok",
            "not ok: vmap.b"])

    def test_wrong_indentation(self):
        self.assertMalformed(SUITE.replace("    ok 2 b", "      ok 2 b"), 7,
                             "'ok 2 b' at indentation 6, expected 4")

    def test_restart_is_malformed(self):
        result = check(SUITE + SUITE)
        self.assertEqual(result["problems"], [
            "malformed: line 11: unexpected 'KTAP version' inside the top level "
            "(did the kernel restart?)"])

    def test_unknown_lines_inside_blocks_are_allowed(self):
        text = SUITE.replace("    ok 2 b\n", "printk at column 0\n        deep noise\n    ok 2 b\n")
        self.assertTrue(check(text)["ok"])

    def test_last_started_without_markers_names_case_index(self):
        result = check("\n".join(SUITE.splitlines()[:6]))
        self.assertEqual(result["problems"], [
            "truncated: log ends at line 6 inside 'vmap' after 1 of 2 results; "
            "last test started: vmap.#2"])

    def test_no_ktap_at_all_is_truncated(self):
        result = check("SeaBIOS\nBooting from Hard Disk...\n", exit_status=33)
        self.assertEqual(result["problems"], ["truncated: no 'KTAP version 1' line in 2 lines"])
        self.assertEqual(result["failed"], 1)

    def test_parameterised_case_counts_params_in_totals(self):
        text = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: vmap
    1..1
        KTAP version 1
        # Subtest: sweep
        1..2
        ok 1 p1
        ok 2 p2 # SKIP not here
    # sweep: pass:1 fail:0 skip:1 total:2
    ok 1 sweep
# vmap: pass:1 fail:0 skip:0 total:1
ok 1 vmap
# Totals: pass:1 fail:0 skip:1 total:2
"""
        result = check(text)
        self.assertTrue(result["ok"], result["problems"])
        self.assertEqual((result["passed"], result["skipped"]), (1, 1))


def main():
    """Run the tests; with --result FILE also write a RESULT.json; exit 0 if all pass."""
    cli = argparse.ArgumentParser(add_help=False)
    cli.add_argument("--result")
    args, rest = cli.parse_known_args()
    program = unittest.main(argv=[sys.argv[0]] + rest, exit=False)
    outcome = program.result
    bad = outcome.failures + outcome.errors
    failed = len(bad) + len(outcome.unexpectedSuccesses)
    skipped = len(outcome.skipped)
    if args.result:
        ktest.write_json(args.result, {
            "name": "runner", "passed": outcome.testsRun - failed - skipped,
            "failed": failed, "skipped": skipped, "ok": outcome.wasSuccessful(),
            "problems": [f"test failed: {test.id()}" for test, _ in bad]})
    sys.exit(0 if outcome.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
