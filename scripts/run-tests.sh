#!/bin/sh
# `make test`: boots the kernel in every test configuration and checks its
# KTAP log with scripts/ktest.py, runs the runner's own tests, and checks
# that a deliberately failing, faulting and hanging test is caught and
# named. The last line is the summary `N passed, M failed[, K skipped]`.
#
#   run-tests.sh --build DIR --kernel ELF [--only NAME]
set -u

build=build kernel= only=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "run-tests.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
results=$build/results
logs=$build/logs
rm -rf "$results"
mkdir -p "$results" "$logs"
PYTHON=${PYTHON:-python3}

# name | timeout (s) | qemu.sh options | kernel command line
configs="
bios|300|--mem 512M|ktest
uefi|300|--uefi --mem 512M|ktest
bios-6g|300|--mem 6G|ktest ktest.filter=boot*,probe*,traps*,memmap*,pfa*,paging*,pgtable*
uefi-6g|300|--uefi --mem 6G|ktest ktest.filter=boot*,memmap*,pfa*,paging*
bios-128m|300|--mem 128M|ktest ktest.filter=boot*,traps*,memmap*,pfa*,paging*,pgtable*
bios-smp4|400|--mem 512M --smp 4|ktest
uefi-smp2|400|--uefi --mem 512M --smp 2|ktest
"

boot_config() {
	name=$1 timeout=$2 opts=$3 cmdline=$4
	# shellcheck disable=SC2086
	$PYTHON scripts/ktest.py boot --name "$name" --timeout "$timeout" \
		--log "$logs/$name.log" --result "$results/$name.json" -- \
		sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$name" \
		$opts --cmdline "$cmdline"
}

selected() {
	[ -z "$only" ] || [ "$only" = "$1" ]
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

echo "$configs" | while IFS='|' read -r name timeout opts cmdline; do
	[ -n "$name" ] || continue
	selected "$name" || continue
	echo "== $name: $opts, command line \"$cmdline\""
	boot_config "$name" "$timeout" "$opts" "$cmdline"
done

# Demo boots write their runner verdicts under demo/, not results/: they
# are meant to fail. check-demo.py turns them into one result that passes
# when every misbehaving test was caught and named.
if selected harness-demo; then
	echo "== harness-demo: failing, faulting, hanging and crashing tests must be caught and named"
	demo=$build/demo
	mkdir -p "$demo"
	for d in "harness-demo|60|ktest_demo" "harness-demo-hang|8|ktest_demo_hang" \
		 "harness-demo-crash|30|ktest_demo_crash"; do
		IFS='|' read -r name timeout suite <<-EOD
		$d
		EOD
		$PYTHON scripts/ktest.py boot --name "$name" --timeout "$timeout" \
			--log "$logs/$name.log" --result "$demo/$name.json" -- \
			sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$name" \
			--mem 128M --cmdline "ktest ktest.filter=$suite" > "$demo/$name.out" 2>&1
	done
	# Two CPUs with the TLB-shootdown IPI left out on purpose (debug builds
	# only): the smp suite must see the other CPU's stale TLB and fail. It
	# also starts a CPU that does not exist, which must time out with a line.
	name=smp-demo-skip-shootdown
	$PYTHON scripts/ktest.py boot --name "$name" --timeout 120 \
		--log "$logs/$name.log" --result "$demo/$name.json" -- \
		sh scripts/qemu.sh --kernel "$kernel" --build "$build" --name "$name" \
		--mem 128M --smp 2 --cmdline "ktest ktest.filter=smp smp_skip_shootdown smp_fake_apic=7" \
		> "$demo/$name.out" 2>&1
	cat "$logs/$name.log" >> "$demo/$name.out"     # its boot lines are checked too
	$PYTHON scripts/check-demo.py "$results/harness-demo.json" \
		"$name=$demo/$name.out:$demo/$name.json" \
		"harness-demo=$demo/harness-demo.out:$demo/harness-demo.json" \
		"harness-demo-hang=$demo/harness-demo-hang.out:$demo/harness-demo-hang.json" \
		"harness-demo-crash=$demo/harness-demo-crash.out:$demo/harness-demo-crash.json"
fi

# mm/ built for the host (arch/host/host.mk, docs/host.md): the test suites
# under ASan+UBSan, then under Valgrind, and a short fuzz run. Results:
# host-asan, host-valgrind, host-fuzz (host-build if the build fails).
if selected host; then
	echo "== host: mm/ on the host under ASan+UBSan and Valgrind, and ${FUZZ_SMOKE_SECONDS:-30} s of fuzzing"
	make -s --no-print-directory host-check BUILD="$build" || true
fi

echo "== summary"
$PYTHON scripts/ktest.py total "$results"/*.json
