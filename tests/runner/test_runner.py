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
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

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


class ReportsAndFilter(KtestCase):
    """Warnings and fault reports a case did not declare; an empty filter."""

    def test_declared_reports_marked_expected_pass(self):
        status, out, result = self.parse("expected_reports.log")
        self.assertEqual(status, 0, out)
        self.assertEqual(result["problems"], [])

    def test_undeclared_warning_fails_naming_line_and_test(self):
        status, _, result = self.parse("unexpected_warning.log")
        self.assertEqual(status, 1)
        n = line_of("unexpected_warning.log", "WARNING: mm/vmalloc.c:51")
        self.assertEqual(len(result["problems"]), 1)
        self.assertProblem(result, f"unexpected report: line {n}: 'WARNING: mm/vmalloc.c:51: ")
        self.assertProblem(result, "last test started: pgtable.protect_readonly")
        self.assertCounts(result, 9, 1, 1)

    def ci_grep(self, log):
        """Run the CI line of docs/testing.md on a canned log; return what it prints."""
        proc = subprocess.run(["sh", "-c", "grep -E 'BUG:|WARNING:|Oops:' \"$1\" | "
                               "grep -v expected", "sh", log_path(log)],
                              capture_output=True, text=True, timeout=10)
        return proc.stdout

    def test_ci_grep_finds_nothing_in_green_log_and_the_bug_in_the_other(self):
        with open(log_path("expected_reports.log")) as f:
            self.assertIn("BUG:", f.read())
        self.assertEqual(self.ci_grep("expected_reports.log"), "")
        self.assertIn("WARNING: mm/vmalloc.c:51", self.ci_grep("unexpected_warning.log"))

    def test_filter_matched_nothing_fails(self):
        status, _, result = self.parse("filter_nothing.log", "--exit-status", "35")
        self.assertEqual(status, 1)
        n = line_of("filter_nothing.log", "'vmallc*'")
        self.assertEqual(result["problems"], [
            f"filter: line {n}: 'ktest: filter matched nothing: 'vmallc*' "
            "(ktest.list prints the names)'",
            f"filter: line {n + 1}: 'ktest: filter matched nothing: no case to run, failed'"])
        self.assertEqual(result["failed"], 1)


class ExpectedCases(KtestCase):
    """--expected: every listed suite.case must have a result."""

    def expected(self, *names):
        path = self.path("expected.txt")
        with open(path, "w") as f:
            f.write("# a comment\n\n" + "".join(n + "\n" for n in names))
        return path

    PASS_CASES = ["pfa.alloc_returns_aligned_frame", "pfa.free_then_alloc_reuses_frame",
                  "pfa.high_memory", "vmap.reserve_and_free", "vmap.align_sweep",
                  "vmap.guard_page", "pgtable.map_unmap_4k", "pgtable.protect_readonly"]

    def test_all_listed_cases_present_passes(self):
        status, out, result = self.parse("pass.log", "--expected", self.expected(*self.PASS_CASES))
        self.assertEqual(status, 0, out)
        self.assertEqual(result["notes"], [])

    def test_missing_case_and_missing_suite_fail(self):
        path = self.expected(*self.PASS_CASES, "vmap.gone_case", "slab.whole_suite_gone")
        status, _, result = self.parse("pass.log", "--expected", path)
        self.assertEqual(status, 1)
        self.assertEqual(result["problems"], [
            f"expected: vmap.gone_case has no result (listed in {path})",
            f"expected: slab.whole_suite_gone has no result (listed in {path})"])
        self.assertEqual(result["failed"], 1)

    def test_new_case_is_a_note_not_a_failure(self):
        path = self.expected(*self.PASS_CASES[1:])
        status, out, result = self.parse("pass.log", "--expected", path)
        self.assertEqual(status, 0, out)
        self.assertEqual(result["notes"], [
            f"new: pfa.alloc_returns_aligned_frame is not in {path} (make test-update-expected)"])
        self.assertIn("note: new: pfa.alloc_returns_aligned_frame", out)

    def test_missing_list_fails(self):
        _, _, result = self.parse("pass.log", "--expected", self.path("none.txt"))
        self.assertProblem(result, "expected: cannot read the expected list")

    def test_checked_in_lists_are_sorted_by_nothing_but_valid(self):
        for name in os.listdir(os.path.join(ROOT, "tests", "expected")):
            names = ktest.read_expected(os.path.join(ROOT, "tests", "expected", name))
            self.assertTrue(names, name)
            for case in names:
                self.assertRegex(case, r"^[a-z0-9_]+\.[a-z0-9_]+$", name)
            self.assertEqual(len(names), len(set(names)), f"{name} lists a case twice")


class CasesJunitAndJson(KtestCase):
    def test_result_json_lists_every_leaf_case(self):
        _, _, result = self.parse("fail.log")
        names = [c["name"] for c in result["cases"]]
        self.assertEqual(len(names), 10)
        self.assertIn("vmap.align_sweep.align_8192", names)
        bad = {c["name"]: c for c in result["cases"] if c["status"] == "fail"}
        self.assertEqual(set(bad), {"vmap.align_sweep.align_8192", "vmap.guard_page"})
        self.assertIn("Expected fault_addr == guard, but",
                      "\n".join(bad["vmap.guard_page"]["diagnostics"]))
        skipped = [c for c in result["cases"] if c["status"] == "skip"]
        self.assertEqual(skipped[0]["reason"], "no memory above 4 GiB")

    def junit(self, log, *extra):
        path = self.path(log + ".xml")
        status, out = self.ktest("parse", log_path(log), "--junit", path, *extra)
        return status, ET.parse(path).getroot()

    def test_junit_has_a_testcase_per_leaf_with_failures_and_skips(self):
        _, root = self.junit("fail.log")
        cases = root.findall("./testsuite/testcase")
        self.assertEqual(len(cases), 10 + 1)          # the leaves, and `run`
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        self.assertEqual(sorted(failed), ["align_sweep.align_8192", "guard_page"])
        vmap = root.find("./testsuite[@name='fail.vmap']")
        self.assertEqual((vmap.get("tests"), vmap.get("failures")), ("5", "2"))
        self.assertEqual(len(root.findall(".//skipped")), 1)
        guard = root.find(".//testcase[@name='guard_page']/failure")
        self.assertIn("ASSERTION FAILED at mm/tests/test_vmalloc.c:88", guard.text)

    def test_junit_run_case_carries_problems_of_no_case(self):
        _, root = self.junit("panic.log")
        run = root.find("./testsuite[@name='panic']/testcase[@name='run']/failure")
        self.assertIn("Kernel panic", run.get("message"))
        _, root = self.junit("pass.log")
        self.assertIsNone(root.find(".//testcase[@name='run']/failure"))


class SilenceTimeout(KtestCase):
    def boot_silent(self, script, timeout=30, silence="1"):
        result, log = self.path("s/result.json"), self.path("s/console.log")
        start = time.monotonic()
        status, out = self.ktest("boot", "--name", "fake", "--timeout", str(timeout),
                                 "--silence", silence, "--log", log, "--result", result,
                                 "--", "sh", "-c", script)
        with open(result) as f:
            return status, json.load(f), time.monotonic() - start

    def test_silent_case_is_stopped_and_named_long_before_the_timeout(self):
        status, result, took = self.boot_silent(
            f"cat {log_path('hang.log')}; sleep 100")
        self.assertEqual(status, 1)
        self.assertLess(took, 8)
        self.assertEqual(result["problems"], [
            "silent: no console output for 1s while a test ran; "
            "last test started: pgtable.map_unmap_4k"])

    def test_silence_before_the_first_case_is_not_counted(self):
        status, result, took = self.boot_silent(
            f"echo SeaBIOS; sleep 2; cat {log_path('pass.log')}; exit 33")
        self.assertEqual(status, 0, result["problems"])

    def test_case_with_longer_timeout_gets_it(self):
        status, result, _ = self.boot_silent(
            f"head -n 16 {log_path('pass.log')}; "
            "echo '    # ktest: start pfa.slow (timeout 2 s)'; sleep 2; "
            f"tail -n +17 {log_path('pass.log')}; exit 33", silence="0.5")
        self.assertEqual(status, 0, result["problems"])
        parser = ktest.KtapParser()
        parser.feed("    # ktest: start pfa.slow (timeout 120 s)")
        self.assertEqual((parser.started, parser.started_timeout), ("pfa.slow", 120))

    def test_steady_output_is_not_silence(self):
        status, result, _ = self.boot_silent(
            "head -n 16 " + log_path("pass.log") + "; for i in 1 2 3 4; do echo "
            "'    # tick'; sleep 0.4; done; tail -n +17 " + log_path("pass.log") + "; exit 33")
        self.assertEqual(status, 0, result["problems"])


class MakeRunVerdict(KtestCase):
    """scripts/qemu.sh --verdict (make run): isa-debug-exit codes become 0/1 and a word."""

    def run_qemu_sh(self, qemu_status):
        fake = self.path("fake-qemu")
        with open(fake, "w") as f:
            f.write(f"#!/bin/sh\necho serial output\nexit {qemu_status}\n")
        os.chmod(fake, 0o755)
        env = dict(os.environ, QEMU=fake)
        kernel = self.path("kernel.elf")
        open(kernel, "w").close()
        proc = subprocess.run(["sh", "scripts/qemu.sh", "--kernel", kernel, "--build",
                               self.path("b"), "--verdict"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout

    @unittest.skipUnless(shutil.which("grub-mkrescue"), "needs grub-mkrescue")
    def test_exit_codes(self):
        for qemu_status, want, word in ((33, 0, "PASSED"), (35, 1, "FAILED"), (0, 0, ""),
                                         (1, 1, "FAILED: QEMU exited with status 1")):
            status, out = self.run_qemu_sh(qemu_status)
            self.assertEqual(status, want, (qemu_status, out))
            self.assertIn("serial output", out)
            if word:
                self.assertIn(word, out)
            else:
                self.assertNotIn("PASSED", out)
                self.assertNotIn("FAILED", out)


class HostStagesGoOn(KtestCase):
    """make host-check: a failing stage does not stop the ones after it."""

    def test_later_stages_run_and_every_stage_is_reported(self):
        build = self.path("build")
        fake = self.path("fake-make.sh")
        with open(fake, "w") as f:
            f.write("""#!/bin/sh
# Stands in for the recursive make of host-check: the ASan run fails without a
# result (its build broke), the Valgrind run passes; fuzz-smoke fails.
for arg; do
	case $arg in
	host-test-asan) exit 2 ;;
	host-test-valgrind) echo '{"name": "host-valgrind", "passed": 3, "failed": 0,'\\
		'"skipped": 0, "ok": true, "problems": []}' > "$RESULTS/host-valgrind.json" ;;
	fuzz-smoke) exit 2 ;;
	esac
done
exit 0
""")
        env = dict(os.environ, RESULTS=os.path.join(build, "results"))
        proc = subprocess.run(["make", "-s", "--no-print-directory", "host-check",
                               f"BUILD={build}", f"HOST_MAKE=sh {fake}"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        results = {}
        for name in ("host-asan", "host-valgrind", "host-fuzz"):
            with open(os.path.join(build, "results", name + ".json")) as f:
                results[name] = json.load(f)
        self.assertTrue(results["host-valgrind"]["ok"])
        self.assertEqual(results["host-asan"]["problems"], ["did not run: its build failed"])
        self.assertFalse(results["host-fuzz"]["ok"])
        self.assertIn("[host-asan] did not run", proc.stdout)


class MakeBuildRules(KtestCase):
    """The Makefile: relinking when the file list changes; clean honours BUILD."""

    def make(self, *args):
        proc = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout + proc.stderr

    def test_clean_removes_only_build(self):
        status, out = self.make("-n", "clean", "BUILD=build/clang")
        self.assertEqual(status, 0, out)
        self.assertIn("rm -rf build/clang", out)
        self.assertNotIn("rm -rf build\n", out)
        for bad in (".", "/", ""):
            status, out = self.make("clean", f"BUILD={bad}")
            self.assertNotEqual(status, 0, bad)
            self.assertIn("make clean: refusing", out)

    def test_link_depends_on_the_list_of_objects(self):
        build = self.path("b")
        status, out = self.make("-pn", f"BUILD={build}", f"{build}/kernel.pass1.elf")
        rule = [l for l in out.splitlines() if l.startswith(f"{build}/kernel.pass1.elf:")]
        self.assertTrue(rule, out[-2000:])
        self.assertIn(f"{build}/objs.list", rule[0])
        with open(os.path.join(build, "objs.list")) as f:
            listed = f.read().split()
        self.assertIn(f"{build}/tests/ktest.o", listed)
        self.assertIn(f"{build}/mm/vmalloc.o", listed)
        before = os.stat(os.path.join(build, "objs.list")).st_mtime_ns
        time.sleep(0.05)
        self.make("-n", f"BUILD={build}", "kernel")
        self.assertEqual(os.stat(os.path.join(build, "objs.list")).st_mtime_ns, before,
                         "an unchanged list must not be rewritten (it would relink)")


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
