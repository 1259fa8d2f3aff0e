#!/bin/bash
# `make test`: boots the kernel in every test configuration and checks its
# KTAP log with scripts/ktest.py, runs the runner's own tests, and checks
# that a deliberately failing, faulting and hanging test is caught and
# named. The last line is the summary `N passed, M failed[, K skipped]`.
#
#   run-tests.sh --build DIR --kernel ELF [--release-kernel ELF] [--only NAME]
#                [--update-expected]
#
# The boots and the host stage run TEST_JOBS at a time (default: the
# number of CPUs); each one's output is printed whole when it ends, so
# lines of two stages never mix. TEST_JOBS=1 runs them one by one.
#
# Each configuration's log must have a result for every case listed in
# tests/expected/<name>.txt; --update-expected rewrites those lists from
# the kernel's own `ktest.list` (make test-update-expected). KTEST_SILENCE
# (default 60) is how many seconds a running case may print nothing.
# JUnit XML: DIR/junit/<name>.xml. --release-kernel: the DEBUG=0 build
# `make bench` measures (the debug checkers off, link-time optimised); the
# configurations marked `release` boot it, and are left out without it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"     # `wait -n` below
set -u

build=build kernel= release_kernel= only= update=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--release-kernel) release_kernel=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--update-expected) update=1; shift ;;
	*) echo "run-tests.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
results=$build/results
logs=$build/logs
rm -rf "$results"
mkdir -p "$results" "$logs"
PYTHON=${PYTHON:-python3}

# name | timeout (s) | qemu.sh options | kernel command line [| release]
# The two SMP boots are far apart in the list, so that with two stages at a
# time they do not run together: six vCPUs on a 2-core host can starve one
# for longer than a debug build lets a CPU wait with interrupts off.
configs="
bios-smp4|400|--mem 512M --smp 4|ktest
bios|300|--mem 512M|ktest
bios-release|300|--mem 512M|ktest|release
uefi|300|--uefi --mem 512M|ktest
bios-6g|300|--mem 6G|ktest ktest.filter=boot*,probe*,traps*,memmap*,pfa*,paging*,pgtable*
uefi-6g|300|--uefi --mem 6G|ktest ktest.filter=boot*,memmap*,pfa*,paging*
bios-128m|300|--mem 128M|ktest ktest.filter=boot*,traps*,memmap*,pfa*,paging*,pgtable*
uefi-smp2|400|--uefi --mem 512M --smp 2|ktest
bios-8m|120|--mem 8M|ktest ktest.filter=boot.kernel_image*,boot.command_line*,printk*,probe*,pfa.alloc_*
"

# The kernel a configuration boots: $kernel, or $release_kernel if marked so.
kernel_of() {
	if [ "$1" = release ]; then echo "$release_kernel"; else echo "$kernel"; fi
}

boot_config() {
	name=$1 timeout=$2 opts=$3 cmdline=$4 elf=$(kernel_of "$5")
	# shellcheck disable=SC2086
	$PYTHON scripts/ktest.py boot --name "$name" --timeout "$timeout" \
		--silence "${KTEST_SILENCE:-60}" --expected "tests/expected/$name.txt" \
		--junit "$build/junit/$name.xml" \
		--log "$logs/$name.log" --result "$results/$name.json" -- \
		sh scripts/qemu.sh --kernel "$elf" --build "$build" --name "$name" \
		$opts --cmdline "$cmdline"
}

# selected NAME [release]: the stage is to run (a release one needs its kernel).
selected() {
	{ [ -z "$only" ] || [ "$only" = "$1" ]; } && { [ "${2:-}" != release ] || [ -n "$release_kernel" ]; }
}

# tests/expected/<name>.txt: the cases the kernel lists for each configuration.
if [ "$update" = 1 ]; then
	echo "$configs" | while IFS='|' read -r name timeout opts cmdline which; do
		[ -n "$name" ] && selected "$name" "$which" || continue
		# shellcheck disable=SC2086
		sh scripts/qemu.sh --kernel "$(kernel_of "$which")" --build "$build" --name "$name-list" \
			$opts --cmdline "$cmdline ktest.list" < /dev/null 2> /dev/null |
			tr -d '\r' | sed -n 's/^ktest: \([a-z0-9_]*\.[a-z0-9_]*\)$/\1/p' > "$logs/$name.list"
		[ -s "$logs/$name.list" ] || { echo "run-tests.sh: $name listed no case"; exit 1; }
		{ echo "# The cases of configuration $name (scripts/run-tests.sh); regenerate"
		  echo "# with: make test-update-expected"
		  cat "$logs/$name.list"; } > "tests/expected/$name.txt"
		echo "tests/expected/$name.txt: $(wc -l < "$logs/$name.list") cases"
	done
	exit $?
fi

# The CI check docs/testing.md gives, run as written over every log of a
# configuration that must be green: no warning or fault report that a case
# did not declare (declared ones carry the word "expected").
ci_grep() {
	hits=0 clean=0 problems=
	for log in "$@"; do
		[ -f "$log" ] || continue
		found=$(grep -E 'BUG:|WARNING:|Oops:' "$log" | grep -v expected)
		if [ -n "$found" ]; then
			hits=$((hits + 1))
			echo "[ci-grep] $log:"; echo "$found" | head -n 5 | sed 's/^/[ci-grep]     /'
			problems="$problems, \"$(basename "$log"): $(echo "$found" | wc -l) undeclared report lines\""
		else
			clean=$((clean + 1))
		fi
	done
	ok=true; [ "$hits" = 0 ] || ok=false
	printf '{"name": "ci-grep", "passed": %d, "failed": %d, "skipped": 0, "ok": %s, "problems": [%s]}\n' \
		"$clean" "$hits" "$ok" "${problems#, }" > "$results/ci-grep.json"
	echo "[ci-grep] $clean clean logs, $hits with undeclared BUG:/WARNING:/Oops: lines"
}

# mm/ is layered: no file includes or calls a layer above it (scripts/check-layers.py).
if selected layers; then
	echo "== layers: mm/ calls and includes only downwards"
	$PYTHON scripts/check-layers.py "$build" --result "$results/layers.json"
fi

if selected runner; then
	echo "== runner self-tests (canned logs)"
	$PYTHON tests/runner/test_runner.py --result "$results/runner.json" > "$logs/runner.log" 2>&1
	tail -n 3 "$logs/runner.log"
fi

# --- stages in parallel ----------------------------------------------------
jobs_max=${TEST_JOBS:-$(nproc 2> /dev/null || echo 1)}
running=0

# Runs "$@" in the background as stage `name` once fewer than jobs_max run;
# its output goes to $logs/<name>.out and is printed whole when it ends.
start_stage() {
	stage=$1; shift
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "== $stage: started"
	( t0=$(date +%s)
	  "$@" > "$logs/$stage.out" 2>&1
	  flock "$logs/.print.lock" sh -c 'cat "$1"; echo "== $2: done in $3 s"' _ \
		"$logs/$stage.out" "$stage" $(($(date +%s) - t0)) ) &
	running=$((running + 1))
}

boot_stage() {
	echo "== $1: $3, command line \"$4\"${5:+, the release kernel (DEBUG=0, as make bench builds it)}"
	boot_config "$@"
}

# The serial shell, driven through QEMU's stdin and stdout by a scripted
# session (scripts/shell-session.py, docs/shell.md); booted with a short
# test run first, so the shell is also checked to start after the tests.
shell_stage() {
	echo "== shell: a scripted session on the serial console (sparse area, probes, faults, bad input, check, poweroff)"
	$PYTHON scripts/shell-session.py --log "$logs/shell.log" --result "$results/shell.json" -- \
		sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name shell --mem 128M \
		--cmdline "ktest ktest.filter=printk ktest.exit=0"
}

# Demo boots write their runner verdicts under demo/, not results/: they
# are meant to fail. check-demo.py turns them into one result that passes
# when every misbehaving test was caught and named.
harness_demo() {
	echo "== harness-demo: failing, faulting, warning, leaking, hanging and crashing tests, and a filter that matches nothing, must be caught and named"
	demo=$build/demo
	mkdir -p "$demo"
	# name | timeout | silence (0: off) | suite. The hang with interrupts off
	# is ended by the silence limit, long before the 300 s timeout.
	for d in "harness-demo|60|0|ktest_demo" "harness-demo-hang|300|5|ktest_demo_hang" \
		 "harness-demo-crash|30|0|ktest_demo_crash" "harness-demo-nothing|30|0|ktest_dmeo"; do
		IFS='|' read -r name timeout silence suite <<-EOD
		$d
		EOD
		$PYTHON scripts/ktest.py boot --name "$name" --timeout "$timeout" --silence "$silence" \
			--log "$logs/$name.log" --result "$demo/$name.json" -- \
			sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$name" \
			--mem 128M --cmdline "ktest ktest.filter=$suite" > "$demo/$name.out" 2>&1
	done
	# A two-CPU demo boot: smp_demo NAME COMMAND-LINE.
	smp_demo() {
		$PYTHON scripts/ktest.py boot --name "$1" --timeout 120 \
			--log "$logs/$1.log" --result "$demo/$1.json" -- \
			sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$1" \
			--mem 128M --smp 2 --cmdline "$2" > "$demo/$1.out" 2>&1
	}
	# The TLB-shootdown IPI left out on purpose (debug builds only): the smp
	# suite must see the other CPU's stale TLB and fail. It also starts a
	# CPU that does not exist, which must time out with a line.
	name=smp-demo-skip-shootdown
	smp_demo "$name" "ktest ktest.filter=smp smp_skip_shootdown smp_fake_apic=7"
	cat "$logs/$name.log" >> "$demo/$name.out"     # its boot lines are checked too
	# CPU 1 hanging with interrupts on (its watchdog stops it), then with
	# interrupts off (the boot CPU's NMI gets its backtrace and parks it);
	# the case after them must still run.
	smp_hang=harness-demo-smp-hang
	smp_demo "$smp_hang" "ktest ktest.filter=ktest_demo_smp"
	$PYTHON scripts/check-demo.py "$results/harness-demo.json" \
		"$name=$demo/$name.out:$demo/$name.json" \
		"$smp_hang=$demo/$smp_hang.out:$demo/$smp_hang.json" \
		"harness-demo=$demo/harness-demo.out:$demo/harness-demo.json" \
		"harness-demo-hang=$demo/harness-demo-hang.out:$demo/harness-demo-hang.json" \
		"harness-demo-crash=$demo/harness-demo-crash.out:$demo/harness-demo-crash.json" \
		"harness-demo-nothing=$demo/harness-demo-nothing.out:$demo/harness-demo-nothing.json"
}

# One `mmdemo picture` boot (128 MiB, BIOS) with GDB attached: every mm-*
# command of scripts/gdb/mm.py against the kernel's own output, Ctrl-C
# stopping the guest and not QEMU; make picture's script on a canned dump
# and on this boot; the docs' samples in the kernel's current format; the
# README's test example compiled as written.
tools_stage() {
	echo "== tools: GDB helpers, pictures, docs samples, the README's example"
	$PYTHON scripts/gdb/check.py --kernel "$kernel" --build "$build" --log "$logs/mmdemo.log" \
		--result "$results/gdb.json"
	$PYTHON scripts/mm-picture.py --self-test --out "$build/picture-check" \
		--result "$results/picture.json" "$logs/mmdemo.log"
	make -s --no-print-directory readme-example BUILD="$build" RESULT="$results/readme-example.json"
}

# mm/ built for the host (arch/host/host.mk, docs/host.md): the test suites
# under ASan+UBSan, host threads as CPUs under ThreadSanitizer, the suites
# under Valgrind, and a short fuzz run. Results: host-asan, host-tsan,
# host-valgrind, host-fuzz (host-build if the build fails).
host_stage() {
	echo "== host: mm/ on the host under ASan+UBSan, TSan and Valgrind, and ${FUZZ_SMOKE_SECONDS:-30} s of fuzzing"
	make -s --no-print-directory host-check BUILD="$build" || true
}

# The host stage first (the longest), then the boots in the table's order.
selected host && start_stage host host_stage
while IFS='|' read -r name timeout opts cmdline which; do
	[ -n "$name" ] || continue
	selected "$name" "$which" || continue
	start_stage "$name" boot_stage "$name" "$timeout" "$opts" "$cmdline" "$which"
done <<EOF_CONFIGS
$configs
EOF_CONFIGS
selected harness-demo && start_stage harness-demo harness_demo
selected tools && start_stage tools tools_stage
selected shell && start_stage shell shell_stage
wait

# The docs' samples against this run's logs (after every stage: they come
# from the mmdemo boot, the BIOS boot and the shell session); a sample whose
# log this run did not write is not checked.
if selected tools; then
	echo "== docs-samples: the <!-- sample: --> blocks have the shape of this run's output"
	set --
	[ -f "$logs/bios.log" ] && selected bios && set -- --test-log "$logs/bios.log"
	[ -f "$logs/shell.log" ] && selected shell && set -- "$@" --shell-log "$logs/shell.log"
	$PYTHON scripts/gen-docs.py --check --log "$logs/mmdemo.log" --gdb "$build/gdb-check.out" \
		"$@" --result "$results/docs-samples.json" README.md docs/walkthrough.md docs/shell.md
fi

green_logs=$(echo "$configs" | while IFS='|' read -r name timeout opts cmdline which; do
	[ -n "$name" ] && selected "$name" "$which" && echo "$logs/$name.log"; done)
if [ -n "$green_logs" ]; then
	echo "== ci-grep: grep -E 'BUG:|WARNING:|Oops:' <log> | grep -v expected finds nothing"
	# shellcheck disable=SC2086
	ci_grep $green_logs
fi

echo "== summary"
$PYTHON scripts/ktest.py total "$results"/*.json
