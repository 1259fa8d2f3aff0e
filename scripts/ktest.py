#!/usr/bin/env python3
"""Host-side test runner: boot the kernel in QEMU, check its KTAP serial log, give a verdict.

The kernel prints its test results on COM1 in KTAP version 1, shaped the way KUnit prints
them (docs/testing.md, "The log").  This script reads that log, live from QEMU's stdout (`boot`) or
from a saved file (`parse`), and fails the configuration on anything but a clean run.

KTAP rules checked (line numbers count every line of the log, boot messages included):

  * Everything before the first column-0 `KTAP version 1` is boot noise and is ignored.
    Then comes the top-level plan `1..N` (N suites).
  * A nested block is indented 4 spaces more than its parent and opens with
    `KTAP version 1`, then `# Subtest: <name>`, then its plan `1..M`.  Suites are nested
    blocks (4 spaces); parameterised cases are nested blocks inside a suite (8 spaces).
  * Result lines are `ok <n> <name>` or `not ok <n> <name>`; at each level n starts at 1
    and goes up by 1, and a block has exactly as many results as its plan says.
  * The only directive allowed is `# SKIP <reason>` (on `ok`; `not ok` always fails).
  * A nested block ends with its result line at the parent's indentation, carrying the
    `# Subtest:` name; a block with a failing result must itself be `not ok`.
  * Count lines `# <name>: pass:P fail:F skip:S total:T` sit at the parent's indentation
    between a block and its result line and count that block's own results (a
    parameterised case counts once there).  Every suite must have one.  The final
    `# Totals: pass:P fail:F skip:S total:T` counts leaf results (each parameter counts,
    a parameterised case does not count itself) and must follow the last suite.
  * A log that ends before the top-level plan is satisfied is truncated.

Lines the rules do not recognise ("unknown lines": printk output, `Expected ...`
continuations) are allowed anywhere; the ones just before a `not ok` are shown as its
diagnostics.  `# ktest: start <suite>.<case>` lines, at any indentation, mark the test
the kernel is about to run and are otherwise ignored.  Any line containing
`Kernel panic` fails the run.  ANSI escape sequences (SeaBIOS/GRUB) are stripped before
parsing, and kept in the saved log.

QEMU exit status (isa-debug-exit): 33 = the kernel says PASS, 35 = it says FAIL; any other
status is a crash (triple fault or reset with -no-reboot, or a QEMU error).

Beyond KTAP, for CI (docs/testing.md):

  * A line with `BUG:`, `WARNING:` or `Oops:` that lacks the word `expected` fails the run:
    the kernel prints `[expected]` on every line of a warning or fault report the running
    case declared, so this is exactly `grep -E 'BUG:|WARNING:|Oops:' log | grep -v expected`.
  * `ktest: filter matched nothing` (a `ktest.filter` item that selects no case) fails it.
  * `--expected FILE` (tests/expected/<config>.txt): every `suite.case` listed must have a
    result in the log; cases the list lacks are reported as notes.
  * `boot --silence S`: once the first case has started, S seconds without a console line
    stop QEMU and fail the run naming the case (a case that declares a longer timeout, shown
    as `(timeout N s)` on its start marker, gets N + 30 s).
  * `--junit FILE` writes JUnit XML; RESULT.json lists every leaf case with its status.
"""

import argparse
import json
import xml.etree.ElementTree as ET
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

INDENT = 4
SILENCE_MARGIN = 30
EXIT_PASS = 33
EXIT_FAIL = 35
PASS, FAIL, SKIP = "pass", "fail", "skip"

ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|c)")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
START_RE = re.compile(r"\s*# ktest: start (\S+)(?: \(timeout (\d+) s\))?")
REPORT_RE = re.compile(r"BUG:|WARNING:|Oops:")
EXPECTED_WORD = "expected"
FILTER_NOTHING = "ktest: filter matched nothing"
MAX_REPORTED_LINES = 5
LINE_KINDS = (
    ("version", re.compile(r"( *)KTAP version (\S+)")),
    ("subtest", re.compile(r"( *)# Subtest: (.*)")),
    ("plan", re.compile(r"( *)1\.\.(\d+)")),
    ("result", re.compile(r"( *)(not ok|ok) (\d+)(?: ([^#]*?))? *(?:#(.*))?")),
    ("counts", re.compile(r"( *)# (\S+): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)")),
)
SKIP_RE = re.compile(r"SKIP(?: .*)?")


def clean(line):
    """Return one console line without ANSI escapes, control characters or trailing blanks."""
    return CONTROL_RE.sub("", ANSI_RE.sub("", line)).rstrip()


def classify(text):
    """Return (kind, indent, match) for a structural KTAP line, or (None, 0, None)."""
    for kind, regex in LINE_KINDS:
        m = regex.fullmatch(text)
        if m:
            return kind, len(m[1]), m
    return None, 0, None


class Tally:
    """Counts of pass, fail and skip results, printed the way count lines print them."""

    def __init__(self, statuses=()):
        self.n = {PASS: 0, FAIL: 0, SKIP: 0}
        for status in statuses:
            self.n[status] += 1

    def __iadd__(self, other):
        for key in self.n:
            self.n[key] += other.n[key]
        return self

    def __eq__(self, other):
        return self.n == other.n

    def __str__(self):
        n = self.n
        total = sum(n.values())
        return f"pass:{n[PASS]} fail:{n[FAIL]} skip:{n[SKIP]} total:{total}"

    def summary(self):
        """Return 'P passed, F failed, S skipped'."""
        n = self.n
        return f"{n[PASS]} passed, {n[FAIL]} failed, {n[SKIP]} skipped"


class Result:
    """One result line; `block` is the nested block it closes, None for a leaf test."""

    def __init__(self, number, name, status, block, diags, reason=""):
        self.number, self.name, self.status = number, name, status
        self.block, self.diags, self.reason = block, diags, reason

    def leaf_tally(self):
        """Return the leaf results under this result (itself when it is a leaf)."""
        return self.block.leaf_tally() if self.block else Tally([self.status])


class Block:
    """A KTAP block: the top level (parent None) or a nested `# Subtest:` block."""

    def __init__(self, indent, parent):
        self.indent, self.parent = indent, parent
        self.name = None
        self.plan = None
        self.expect = "subtest" if parent else "plan"   # next header line, or "results"
        self.results = []
        self.child = None           # closed nested block still waiting for its result line
        self.child_counted = False  # its count line has been seen

    def path(self):
        """Return the `# Subtest:` names from the outermost suite down to this block."""
        if self.parent is None:
            return []
        return self.parent.path() + [self.name or "?"]

    def label(self):
        """Return a name for messages."""
        return f"'{self.name}'" if self.parent else "the top level"

    def direct_tally(self):
        """Return this block's own results, as its count line counts them."""
        return Tally(r.status for r in self.results)

    def leaf_tally(self):
        """Return the leaf results in this block and below, as `# Totals:` counts them."""
        tally = Tally()
        for r in self.results:
            tally += r.leaf_tally()
        return tally

    def has_failure(self):
        """Return True if any result of this block is `not ok`."""
        return any(r.status == FAIL for r in self.results)


class MalformedLog(Exception):
    """A KTAP rule broken by the current line; the message says which."""


class Events:
    """Receives parse events; the default ignores them."""

    def case_failed(self, path, result):
        """Called for each failing leaf test; `path` is suite[.case][.param]."""

    def suite_done(self, result):
        """Called when a top-level result line (normally a suite's) has been parsed."""


class KtapParser:
    """Incremental KTAP v1 checker: feed() it every console line, then read the results.

    After the first malformed line it stops checking structure (to avoid cascades) but
    still watches for panics and `# ktest: start` markers.
    """

    def __init__(self, events=None):
        self.events = events or Events()
        self.lineno = 0
        self.top = None
        self.cur = None
        self.buffer = []          # unknown lines since the last structural line
        self.started = None       # name from the last `# ktest: start` marker
        self.last_leaf = None
        self.leaves = Tally()
        self.failures = []        # "not ok: <path>" problems
        self.malformed = None     # first "malformed: ..." problem
        self.panic = None
        self.totals_seen = False
        self.started_timeout = None  # seconds declared on the last start marker, if any
        self.cases = []           # every leaf: {"name", "status", ...}
        self.case_names = []      # every `suite.case` with a result, in log order
        self.unexpected = []      # "unexpected report: ..." problems
        self.unexpected_count = 0
        self.filter_problems = []

    # -- input ---------------------------------------------------------------------------

    def feed(self, raw):
        """Parse one console line (without its newline)."""
        self.lineno += 1
        text = clean(raw)
        if "Kernel panic" in text and self.panic is None:
            self.panic = f"panic: line {self.lineno}: '{text.strip()}'"
        self._watch_reports(text)
        marker = START_RE.fullmatch(text)
        if marker:
            self.started = marker[1]
            self.started_timeout = int(marker[2]) if marker[2] else None
            self.buffer = []
            return
        if self.malformed:
            return
        try:
            self._line(text)
        except MalformedLog as err:
            self.malformed = f"malformed: line {self.lineno}: {err}"

    def _watch_reports(self, text):
        """Record warning/fault lines a case did not declare, and an empty filter."""
        if REPORT_RE.search(text) and EXPECTED_WORD not in text:
            self.unexpected_count += 1
            if len(self.unexpected) < MAX_REPORTED_LINES:
                self.unexpected.append(
                    f"unexpected report: line {self.lineno}: '{text.strip()}'; "
                    f"last test started: {self.last_started()}")
        if FILTER_NOTHING in text:
            self.filter_problems.append(f"filter: line {self.lineno}: '{text.strip()}'")

    def finish(self):
        """Apply the end-of-log rules (call once, after the last line)."""
        if self.complete() and not self.totals_seen and not self.malformed:
            self.malformed = (f"malformed: line {self.lineno}: log ends without the "
                              "'# Totals: pass:P fail:F skip:S total:T' line")

    # -- results -------------------------------------------------------------------------

    def complete(self):
        """Return True once the top-level plan is satisfied and every block is closed."""
        top = self.top
        return (top is not None and self.cur is top and top.plan is not None
                and len(top.results) == top.plan and top.child is None)

    def any_not_ok(self):
        """Return True if any result line parsed so far was `not ok`."""
        return bool(self.failures)

    def problems(self):
        """Return the malformed, failing and panic problems found, in that order."""
        found = [self.malformed] if self.malformed else []
        found += self.failures
        if self.panic:
            found.append(f"{self.panic}; last test started: {self.last_started()}")
        found += self.filter_problems + self.unexpected
        more = self.unexpected_count - len(self.unexpected)
        if more > 0:
            found.append(f"unexpected report: {more} more such lines")
        return found

    def truncation(self):
        """Return a 'truncated: ...' problem if the log ended early, else None."""
        if self.complete():
            return None
        if self.top is None:
            return f"truncated: no 'KTAP version 1' line in {self.lineno} lines"
        b = self.cur
        where = f"inside {b.label()}"
        if b.plan is not None:
            where += f" after {len(b.results)} of {b.plan} results"
        return (f"truncated: log ends at line {self.lineno} {where}; "
                f"last test started: {self.last_started()}")

    def last_started(self):
        """Return the test that was running last: the kernel's marker, else a derived name.

        Without a marker: the case index running in the innermost open block
        (`vmap.#2`), the block itself if its plan is done, or the last leaf at top level.
        """
        if self.started:
            return self.started
        b = self.cur
        if b is None:
            return "none (no KTAP output)"
        if b is self.top:
            return self.last_leaf or "none"
        name = ".".join(b.path())
        k = len(b.results) + 1
        return name if b.plan is not None and k > b.plan else f"{name}.#{k}"

    # -- structure -----------------------------------------------------------------------

    def _line(self, text):
        kind, indent, m = classify(text)
        if kind is None:
            if self.top:
                self.buffer.append(text)
            return
        if self.top is None:
            if kind == "version" and indent == 0:
                self._check_version(m)
                self.top = self.cur = Block(0, None)
            return
        diags, self.buffer = self.buffer, []
        block = self._align(kind, indent, text)
        if block is not None:
            getattr(self, "_" + kind)(block, m, text, diags)

    def _align(self, kind, indent, text):
        """Open or close nested blocks as the indentation says; return the line's block.

        Returns None when the line opened a new nested block.
        """
        if kind == "version" and indent == self.cur.indent + INDENT:
            self._open_child(text)
            return None
        while indent < self.cur.indent:
            self._close()
        if indent != self.cur.indent:
            raise MalformedLog(f"'{text.strip()}' at indentation {indent}, "
                               f"expected {self.cur.indent}")
        return self.cur

    def _open_child(self, text):
        b = self.cur
        self._check_header_done(b)
        self._check_no_pending_child(b)
        if len(b.results) == b.plan:
            raise MalformedLog(f"nested block after {b.label()} finished its plan 1..{b.plan}")
        self._check_version(classify(text)[2])
        self.cur = Block(b.indent + INDENT, b)

    def _close(self):
        b = self.cur
        self._check_header_done(b)
        self._check_no_pending_child(b)
        if len(b.results) != b.plan:
            raise MalformedLog(f"{b.label()} ended with {len(b.results)} results "
                               f"but its plan is 1..{b.plan}")
        self.cur = b.parent
        self.cur.child, self.cur.child_counted = b, False

    def _check_version(self, m):
        if m[2] != "1":
            raise MalformedLog(f"'KTAP version {m[2]}' is not supported, expected version 1")

    def _check_header_done(self, b):
        if b.expect == "subtest":
            raise MalformedLog("expected '# Subtest: <name>' after 'KTAP version 1'")
        if b.expect == "plan":
            after = f"'# Subtest: {b.name}'" if b.parent else "'KTAP version 1'"
            raise MalformedLog(f"expected plan after {after}")

    def _check_no_pending_child(self, b):
        if b.child is not None:
            raise MalformedLog(f"missing result line for '{b.child.name}'")

    # -- one handler per structural line kind ------------------------------------------

    def _version(self, b, m, text, diags):
        raise MalformedLog(f"unexpected 'KTAP version' inside {b.label()} "
                           "(did the kernel restart?)")

    def _subtest(self, b, m, text, diags):
        if b.expect != "subtest":
            raise MalformedLog(f"unexpected '{text.strip()}' in {b.label()}")
        b.name = m[2].strip()
        b.expect = "plan"

    def _plan(self, b, m, text, diags):
        if b.expect != "plan":
            self._check_header_done(b)
            raise MalformedLog(f"second plan in {b.label()}")
        b.plan = int(m[2])
        b.expect = "results"

    def _result(self, b, m, text, diags):
        self._check_header_done(b)
        number, name, status = int(m[3]), (m[4] or "").strip(), result_status(m)
        reason = skip_reason(m) if status == SKIP else ""
        if number != len(b.results) + 1:
            raise MalformedLog(f"result number {number} in {b.label()}, "
                               f"expected {len(b.results) + 1}")
        if number > b.plan:
            raise MalformedLog(f"result {number} is beyond the plan 1..{b.plan} of {b.label()}")
        child = b.child
        if child is not None:
            self._check_block_result(b, child, name, status, text)
        result = Result(number, name, status, child, diags, reason)
        b.results.append(result)
        b.child = None
        self._record(b.path() + [name], result)
        if b is self.top:
            self.events.suite_done(result)

    def _check_block_result(self, b, child, name, status, text):
        if name != child.name:
            raise MalformedLog(f"result '{name}' does not match '# Subtest: {child.name}'")
        if b is self.top and not b.child_counted:
            raise MalformedLog(f"missing count line '# {name}: pass:P fail:F skip:S "
                               f"total:T' before '{text.strip()}'")
        if status != FAIL and child.has_failure():
            raise MalformedLog(f"'{text.strip()}' but a result inside '{name}' is not ok")

    def _record(self, path, result):
        name = ".".join(path)
        if len(path) == 2:
            self.case_names.append(name)
        if result.block is None:
            self.leaves += Tally([result.status])
            self.last_leaf = name
            self._add_case(name, result)
        if result.status != FAIL:
            return
        if result.block is None:
            self.failures.append(f"not ok: {name}")
            self.events.case_failed(name, result)
        elif not result.block.has_failure():
            self.failures.append(f"not ok: {name} (reported not ok, but none of its results)")

    def _add_case(self, name, result):
        case = {"name": name, "status": result.status}
        if result.reason:
            case["reason"] = result.reason
        if result.status == FAIL:
            margin = min((len(d) - len(d.lstrip()) for d in result.diags), default=0)
            case["diagnostics"] = [d[margin:] for d in result.diags]
        self.cases.append(case)

    def _counts(self, b, m, text, diags):
        got = Tally([PASS] * int(m[3]) + [FAIL] * int(m[4]) + [SKIP] * int(m[5]))
        if int(m[6]) != sum(got.n.values()):
            raise MalformedLog(f"'{text.strip()}': total is not pass + fail + skip")
        if m[2] == "Totals":
            self._totals(b, got, text)
            return
        child = b.child
        if child is None or child.name != m[2] or b.child_counted:
            raise MalformedLog(f"count line for '{m[2]}' is not between its block "
                               "and its result line")
        want = child.direct_tally()
        if got != want:
            raise MalformedLog(f"'{text.strip()}' disagrees with the results parsed for "
                               f"'{m[2]}': {want}")
        b.child_counted = True

    def _totals(self, b, got, text):
        if b is not self.top:
            raise MalformedLog(f"'# Totals:' inside {b.label()}")
        self._check_no_pending_child(b)
        if not self.complete():
            raise MalformedLog(f"'# Totals:' after {len(b.results)} of {b.plan} suites")
        if self.totals_seen:
            raise MalformedLog("second '# Totals:' line")
        want = b.leaf_tally()
        if got != want:
            raise MalformedLog(f"'{text.strip()}' disagrees with the leaf results parsed: {want}")
        self.totals_seen = True


def skip_reason(m):
    """Return the reason of a `# SKIP <reason>` directive."""
    return (m[5] or "").strip()[len("SKIP"):].strip()


def result_status(m):
    """Return PASS, FAIL or SKIP for a result-line match; reject directives but SKIP."""
    directive = m[5]
    if directive is not None and not SKIP_RE.fullmatch(directive.strip()):
        raise MalformedLog(f"directive '#{directive}' is not allowed (only '# SKIP <reason>')")
    if m[2] == "not ok":
        return FAIL
    return SKIP if directive is not None else PASS


# -- verdict ---------------------------------------------------------------------------


class Progress(Events):
    """Prints live progress for one configuration, each line prefixed with [NAME]."""

    def __init__(self, name):
        self.name = name

    def say(self, text):
        """Print one line for this configuration."""
        print(f"[{self.name}] {text}", flush=True)

    def case_failed(self, path, result):
        self.say(f"  not ok {path}")
        margin = min((len(d) - len(d.lstrip()) for d in result.diags), default=0)
        for line in result.diags:
            self.say(f"      {line[margin:]}")

    def suite_done(self, result):
        verdict = "not ok" if result.status == FAIL else "ok"
        dots = "." * max(3, 24 - len(result.name))
        self.say(f"{result.name} {dots} {verdict:<6} ({result.leaf_tally().summary()})")


def exit_problems(status, parser):
    """Return the problems QEMU's exit status reveals, given the parsed log."""
    after = parser.last_started()
    if status < 0:
        return [f"crash: qemu killed by signal {-status} after {after}"]
    if status not in (EXIT_PASS, EXIT_FAIL):
        return [f"crash: qemu exited with status {status} (triple fault or reset?) after {after}"]
    if not parser.complete() or parser.malformed:
        return []
    if status == EXIT_PASS and parser.any_not_ok():
        return [f"exit: kernel exited with PASS (status {status}) "
                "but the log has not ok results"]
    if status == EXIT_FAIL and not parser.any_not_ok():
        return [f"exit: kernel exited with FAIL (status {status}) "
                "but every result in the log is ok"]
    return []


def read_expected(path):
    """Return the `suite.case` names of an expected list (blank lines, # comments skipped)."""
    with open(path) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [line for line in lines if line]


def expected_problems(parser, path):
    """Return (problems, notes) comparing the cases in the log with an expected list."""
    try:
        want = read_expected(path)
    except OSError as err:
        return [f"expected: cannot read the expected list {path}: {err} "
                "(make test-update-expected writes it)"], []
    seen = set(parser.case_names)
    missing = [c for c in want if c not in seen]
    known = set(want)
    new = [c for c in parser.case_names if c not in known]
    problems = [f"expected: {c} has no result (listed in {path})" for c in missing]
    notes = [f"new: {c} is not in {path} (make test-update-expected)" for c in new]
    return problems, notes


def judge(name, parser, status=None, hang=None, error=None, expected=None, silent=None):
    """Return the RESULT dict for one configuration.

    `status` is QEMU's exit status (None: not checked), `hang` the timeout in seconds if
    it expired, `silent` the silence limit in seconds if that expired, `error` a message
    if the command could not run, `expected` the path of an expected list of cases.  A
    failing run with no failing leaf test still counts one failure.
    """
    parser.finish()
    problems, notes = parser.problems(), []
    if error:
        problems.append(error)
    if silent is not None:
        problems.append(f"silent: no console output for {silent:g}s while a test ran; "
                        f"last test started: {parser.last_started()}")
    elif hang is not None:
        problems.append(f"hang: timed out after {hang:g}s; "
                        f"last test started: {parser.last_started()}")
    elif status is not None:
        problems += exit_problems(status, parser)
    # A hang, crash or unreadable log already explains why the log stops early.
    crashed = (hang is not None or silent is not None or error is not None
               or status not in (None, EXIT_PASS, EXIT_FAIL))
    truncated = parser.truncation()
    nothing_ran = parser.filter_problems and parser.top is None
    if truncated and not parser.malformed and not crashed and not nothing_ran:
        problems.append(truncated)
    if expected:
        more, notes = expected_problems(parser, expected)
        problems += more
    n = parser.leaves.n
    failed = n[FAIL] if n[FAIL] or not problems else 1
    return {"name": name, "passed": n[PASS], "failed": failed, "skipped": n[SKIP],
            "ok": not problems, "problems": problems, "notes": notes,
            "cases": parser.cases}


def report(result, result_path, junit_path=None):
    """Print the problems and the final count line, write RESULT.json; return exit code."""
    progress = Progress(result["name"])
    for note in result.get("notes", []):
        progress.say(f"note: {note}")
    for problem in result["problems"]:
        progress.say(problem)
    progress.say(f"{result['passed']} passed, {result['failed']} failed, "
                 f"{result['skipped']} skipped")
    if result_path:
        write_json(result_path, result)
    if junit_path:
        write_junit(junit_path, result)
    return 0 if result["ok"] else 1


def junit_tree(result):
    """Return a JUnit XML tree: one <testsuite> per kernel suite, one <testcase> per leaf.

    Problems that belong to no case (a crash, a hang, a malformed log, an unexpected
    warning) are one failing <testcase> named `run` in a <testsuite> named after the
    configuration.
    """
    config = result["name"]
    root = ET.Element("testsuites", name=config)
    suites = {}
    for case in result.get("cases", []):
        suite, _, rest = case["name"].partition(".")
        if suite not in suites:
            suites[suite] = ET.SubElement(root, "testsuite", name=f"{config}.{suite}")
        tc = ET.SubElement(suites[suite], "testcase", classname=f"{config}.{suite}",
                           name=rest or suite)
        if case["status"] == FAIL:
            failure = ET.SubElement(tc, "failure", message=f"not ok {case['name']}")
            failure.text = "\n".join(case.get("diagnostics", []))
        elif case["status"] == SKIP:
            ET.SubElement(tc, "skipped", message=case.get("reason", ""))
    other = [p for p in result["problems"] if not p.startswith("not ok: ")]
    run = ET.SubElement(root, "testsuite", name=config)
    tc = ET.SubElement(run, "testcase", classname=config, name="run")
    if other:
        failure = ET.SubElement(tc, "failure", message=other[0])
        failure.text = "\n".join(other)
    for suite in root:
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return ET.ElementTree(root)


def write_junit(path, result):
    """Write the JUnit XML for one configuration's RESULT dict."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tree = junit_tree(result)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)


def write_json(path, data):
    """Write data as JSON to path, creating its parent directories."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


# -- running QEMU ----------------------------------------------------------------------


def run_command(cmd, timeout, on_line, silence=None):
    """Run cmd (stdin /dev/null, own process group) and call on_line(text) per stdout line.

    Returns (status, why).  status is the exit status (negative: killed by that signal),
    or None if it was stopped: why is then "timeout" (the wall clock) or "silence"
    (`silence()` returned a number of seconds and that long passed without a line; it
    returns None while silence does not count).  The whole process group is killed and
    the lines already written are still delivered.
    """
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            start_new_session=True)
    lines = queue.Queue()
    threading.Thread(target=pump_lines, args=(proc.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        why = deliver_lines(lines, on_line, deadline, silence)
        if why is None:
            try:
                return proc.wait(timeout=max(0.0, deadline - time.monotonic())), None
            except subprocess.TimeoutExpired:
                why = "timeout"
        kill_group(proc)
        deliver_lines(lines, on_line, time.monotonic() + 1.0)
        return None, why
    finally:
        kill_group(proc)


def pump_lines(stream, lines):
    """Copy decoded lines from a binary stream into a queue; put None at end of file."""
    for raw in iter(stream.readline, b""):
        lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
    lines.put(None)


def deliver_lines(lines, on_line, deadline, silence=None):
    """Pass queued lines to on_line until end of file (return None), the deadline
    ("timeout") or, with a `silence` function, a silence longer than it allows ("silence").
    """
    last = time.monotonic()
    while True:
        now = time.monotonic()
        limit = silence() if silence else None
        quiet_end = last + limit if limit is not None else deadline
        if now >= deadline:
            return "timeout"
        if now >= quiet_end:
            return "silence"
        try:
            line = lines.get(timeout=min(deadline, quiet_end) - now)
        except queue.Empty:
            continue
        if line is None:
            return None
        last = time.monotonic()
        on_line(line)


def kill_group(proc):
    """SIGKILL proc's process group if proc is still running, and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def read_log(path):
    """Return the lines of a saved log, split on newlines like the live console."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]


# -- subcommands -----------------------------------------------------------------------


def cmd_boot(args):
    """Boot one configuration: run the command, save and check its log, give a verdict."""
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        sys.exit("ktest boot: no command given after --")
    parser = KtapParser(Progress(args.name))
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    status = hang = error = silent = None

    def silence_limit():
        if not args.silence or parser.started is None:
            return None
        if parser.started_timeout is None:
            return args.silence
        return max(args.silence, parser.started_timeout + SILENCE_MARGIN)

    with open(args.log, "w", encoding="utf-8") as log:
        def on_line(line):
            log.write(line + "\n")
            log.flush()
            parser.feed(line)
        try:
            status, why = run_command(cmd, args.timeout, on_line, silence_limit)
            hang = args.timeout if why == "timeout" else None
            silent = silence_limit() if why == "silence" else None
        except OSError as err:
            error = f"crash: cannot run {cmd[0]}: {err}"
    result = judge(args.name, parser, status, hang, error, args.expected, silent)
    return report(result, args.result, args.junit)


def cmd_parse(args):
    """Check a saved log as `boot` would (exit status only if --exit-status is given)."""
    name = args.name or os.path.splitext(os.path.basename(args.logfile))[0]
    parser = KtapParser(Progress(name))
    try:
        lines = read_log(args.logfile)
    except OSError as err:
        return report(judge(name, parser, error=f"error: cannot read log: {err}"), args.result)
    for line in lines:
        parser.feed(line)
    result = judge(name, parser, args.exit_status, expected=args.expected)
    return report(result, args.result, args.junit)


def load_result(path):
    """Return a RESULT.json as a dict, or one counting a single failure if unreadable."""
    try:
        with open(path) as f:
            data = json.load(f)
        counts = [data[k] for k in ("passed", "failed", "skipped")]
        if not all(isinstance(c, int) for c in counts) or not isinstance(data["ok"], bool):
            raise ValueError("bad field types")
        data.setdefault("name", path)
        data.setdefault("problems", [])
        return data
    except (OSError, ValueError, KeyError, TypeError) as err:
        return {"name": path, "passed": 0, "failed": 1, "skipped": 0, "ok": False,
                "problems": [f"missing or unreadable result: {err}"]}


def cmd_total(args):
    """Print one line per configuration and the grand total as the very last line."""
    results = [load_result(path) for path in args.results]
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for r in results:
        for key in total:
            total[key] += r[key]
        ok = r["ok"] and r["failed"] == 0
        line = (f"[{r['name']}] {'ok' if ok else 'FAILED':<6}  {r['passed']} passed, "
                f"{r['failed']} failed, {r['skipped']} skipped")
        if r["problems"]:
            more = len(r["problems"]) - 1
            line += f"  ({r['problems'][0]}" + (f"; +{more} more)" if more else ")")
        print(line)
    final = f"{total['passed']} passed, {total['failed']} failed"
    if total["skipped"]:
        final += f", {total['skipped']} skipped"
    print(final, flush=True)
    return 0 if all(r["ok"] and r["failed"] == 0 for r in results) else 1


def add_common(sub):
    """Options boot and parse share."""
    sub.add_argument("--junit", help="also write JUnit XML here")
    sub.add_argument("--expected", help="list of suite.case that must have a result")


def build_cli():
    """Return the argument parser for the three subcommands."""
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = cli.add_subparsers(dest="command", required=True)

    boot = sub.add_parser("boot", help="run QEMU, check its KTAP console log")
    boot.add_argument("--name", required=True, help="configuration name, e.g. bios")
    boot.add_argument("--timeout", type=float, required=True, help="wall-clock seconds")
    boot.add_argument("--log", required=True, help="where to save the console log")
    boot.add_argument("--result", required=True, help="where to write RESULT.json")
    boot.add_argument("--silence", type=float, default=0,
                      help="seconds without output while a test runs that fail the run")
    add_common(boot)
    boot.add_argument("cmd", nargs=argparse.REMAINDER, help="-- qemu-system-x86_64 ...")
    boot.set_defaults(func=cmd_boot)

    parse = sub.add_parser("parse", help="check a saved KTAP console log")
    parse.add_argument("logfile")
    parse.add_argument("--name")
    parse.add_argument("--result")
    parse.add_argument("--exit-status", type=int, help="also check this QEMU exit status")
    add_common(parse)
    parse.set_defaults(func=cmd_parse)

    total = sub.add_parser("total", help="sum RESULT.json files")
    total.add_argument("results", nargs="+", metavar="RESULT.json")
    total.set_defaults(func=cmd_total)
    return cli


def main(argv=None):
    """Run the command line; return the process exit status."""
    args = build_cli().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
