#!/usr/bin/env python3
"""Compiles the README's test example as written (make test).

Takes every ```c block of README.md's "Adding a test" section, writes it to
a file and compiles it with the kernel's compiler and flags (the Makefile
passes them), so the example a newcomer copies builds against tests/ktest.h.

Run: check-readme-example.py --cc "CC CFLAGS" --out OBJ [--result JSON] README.md
"""
import argparse
import json
import os
import shlex
import subprocess
import sys


def example(readme):
    """The C blocks of the section "## Adding a test", joined."""
    code, section, inside = [], False, False
    for line in readme.splitlines():
        if line.startswith("## "):
            section = line.strip() == "## Adding a test"
        elif section and line.startswith("```"):
            inside = not inside and line.strip() == "```c"
        elif section and inside:
            code.append(line)
    return "\n".join(code) + "\n" if code else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cc", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--result")
    ap.add_argument("readme")
    args = ap.parse_args()
    with open(args.readme) as f:
        code = example(f.read())
    problems = []
    if not code:
        problems.append("%s: no ```c block under \"## Adding a test\"" % args.readme)
    else:
        src = os.path.splitext(args.out)[0] + ".c"
        os.makedirs(os.path.dirname(src) or ".", exist_ok=True)
        with open(src, "w") as f:
            f.write(code)
        run = subprocess.run(shlex.split(args.cc) + ["-c", src, "-o", args.out],
                             capture_output=True, text=True)
        if run.returncode:
            print(run.stdout + run.stderr, end="")
            problems.append("the README's test example does not compile (%s)" % src)
    for p in problems:
        print("readme-example: " + p)
    print("readme-example: %s" % ("compiles" if not problems else "FAILED"))
    if args.result:
        with open(args.result, "w") as f:
            json.dump({"name": "readme-example", "passed": 0 if problems else 1,
                       "failed": len(problems), "skipped": 0, "ok": not problems,
                       "problems": problems}, f)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
